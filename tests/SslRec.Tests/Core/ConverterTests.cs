using System.Text;
using SslRec.Core.Converters;
using SslRec.Core.Data;

namespace SslRec.Tests.Core;

public class ConverterTests
{
    [Fact]
    public void MovieLens_1m_layout_converts_to_a_readable_dataset()
    {
        using var dir = new TempDirectory();
        var input = dir.Sub("ml-1m");
        var latin1 = Encoding.Latin1;
        File.WriteAllText(Path.Combine(input, "movies.dat"),
            "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n3::Amélie (2001)::Comedy|Romance\n", latin1);
        File.WriteAllText(Path.Combine(input, "users.dat"), "1::F::1::10::48067\n2::M::56::16::70072\n", latin1);
        File.WriteAllText(Path.Combine(input, "ratings.dat"),
            "1::1::5::978300760\n1::2::3::978302109\n1::3::4::978301968\n2::1::4::978300275\n2::3::2::978824291\n2::2::5::978824291\n", latin1);

        var r = MovieLensConverter.Convert(input, Path.Combine(dir.Path, "out"));
        Assert.Equal(6, r.Ratings);
        Assert.Equal(4, r.Positives); // ratings ≥ 4
        Assert.Equal("ml-1m", r.Format);
        var items = File.ReadAllLines(Path.Combine(dir.Path, "out", "items.csv"));
        Assert.Contains("3,Comedy|Romance,amélie,2001", items);
        Assert.Contains("1,Animation|Children's|Comedy,toy|story,1995", items);
        Assert.Equal("1,F,1,10,1", File.ReadAllLines(Path.Combine(dir.Path, "out", "interactions.csv"))[1]);

        var data = DatasetEncoder.Read(Path.Combine(dir.Path, "out"));
        Assert.Equal(3, data.CorpusSize);
        Assert.Equal(4, data.Report.RowsRead);
        Assert.Equal(["user_id", "gender", "age", "occupation"], data.Schema.Query.Select(f => f.Name));
    }

    [Fact]
    public void MovieLens_25m_layout_with_quoted_titles_converts()
    {
        using var dir = new TempDirectory();
        var input = dir.Sub("ml-25m");
        File.WriteAllText(Path.Combine(input, "movies.csv"),
            "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n12,Untitled,(no genres listed)\n");
        File.WriteAllText(Path.Combine(input, "ratings.csv"), "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,11,4.5,2\n2,12,3.5,3\n2,11,5.0,4\n");
        var r = MovieLensConverter.Convert(input, Path.Combine(dir.Path, "out"));
        Assert.Equal(3, r.Positives);
        var items = File.ReadAllLines(Path.Combine(dir.Path, "out", "items.csv"));
        Assert.Contains("11,Comedy|Drama|Romance,american|president|the,1995", items);
        Assert.Contains("12,,untitled,", items);
        Assert.Equal(3, DatasetEncoder.Read(Path.Combine(dir.Path, "out")).CorpusSize);

        File.AppendAllText(Path.Combine(input, "ratings.csv"), "3,99,5.0,5\n");
        var e = Assert.Throws<SslRec.Core.Reading.DataFormatException>(() => MovieLensConverter.Convert(input, Path.Combine(dir.Path, "out2")));
        Assert.Equal(6, e.Row);
        Assert.Contains("movie 99 is not in the movies file", e.Message);
    }

    [Fact]
    public void An_edge_list_with_node_attributes_becomes_same_entity_link_prediction_data()
    {
        using var dir = new TempDirectory();
        var edges = dir.File("links.txt", "# source target\nA\tB\nA C\nB\tC\nC\tA\nX\tA\n");
        var nodes = dir.File("pages.tsv", "page\ttitle\tcategories\nA\tAda Lovelace\tmathematicians|computing\nB\tCharles Babbage\tmathematicians|engineers\nC\tAnalytical Engine\tcomputing\n");
        var r = EdgeListConverter.Convert(edges, nodes, Path.Combine(dir.Path, "out"));
        Assert.Equal(4, r.Edges);
        Assert.Equal(1, r.SkippedEdges); // X is not a node
        var data = DatasetEncoder.Read(Path.Combine(dir.Path, "out"));
        Assert.Equal(["src_node_id", "src_title_words", "src_categories"], data.Schema.Query.Select(f => f.Name));
        Assert.Equal(["node_id", "title_words", "categories"], data.Schema.Item.Select(f => f.Name));
        Assert.True(data.Schema.Item[1].IsMulti && data.Schema.Item[2].IsMulti && !data.Schema.Item[0].IsMulti);
        Assert.Equal(3, data.CorpusSize);
        Assert.Contains("A,ada|lovelace,mathematicians|computing,B", File.ReadAllLines(Path.Combine(dir.Path, "out", "interactions.csv")));
    }
}
