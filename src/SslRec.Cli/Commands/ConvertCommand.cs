using System.CommandLine;
using SslRec.Core.Converters;

namespace SslRec.Cli.Commands;

public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--in") { Description = "MovieLens folder (ml-1m: *.dat; ml-20m/25m/latest: *.csv)", Required = true };
        var output = new Option<string>("--out") { Description = "Dataset folder to write", Required = true };
        var minRating = new Option<double>("--min-rating") { Description = "Ratings at or above this are positives", DefaultValueFactory = _ => 4.0 };
        var movielens = new Command("movielens", "Convert a MovieLens release (user → movie interactions)") { input, output, minRating };
        movielens.SetAction(parse => CommandRunner.Run(() =>
        {
            var r = MovieLensConverter.Convert(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(minRating));
            Console.WriteLine($"{r.Format}: {r.Positives:N0} positives of {r.Ratings:N0} ratings, {r.Movies:N0} movies → {parse.GetValue(output)}");
        }));

        var edges = new Option<string>("--edges") { Description = "Edge list: source and target node id per line", Required = true };
        var nodes = new Option<string>("--nodes") { Description = "Node attributes: TSV with a header, node id first", Required = true };
        var output2 = new Option<string>("--out") { Description = "Dataset folder to write", Required = true };
        var graph = new Command("edges", "Convert a link-prediction graph (source node → linked node, same features on both sides)") { edges, nodes, output2 };
        graph.SetAction(parse => CommandRunner.Run(() =>
        {
            var r = EdgeListConverter.Convert(parse.GetValue(edges)!, parse.GetValue(nodes)!, parse.GetValue(output2)!);
            Console.WriteLine($"{r.Edges:N0} edges over {r.Nodes:N0} nodes ({r.SkippedEdges:N0} edges with unknown nodes skipped) → {parse.GetValue(output2)}");
        }));
        var textData = new Option<string>("--data") { Description = "Dataset folder with CSV/TSV/JSONL files and schema.json", Required = true };
        var output3 = new Option<string>("--out") { Description = "Dataset folder to write (.parquet files and schema.json)", Required = true };
        var groupRows = new Option<int>("--row-group-rows") { Description = "Rows per Parquet row group (a map task holds one decoded row group: about 140 MB per 250,000 rows)", DefaultValueFactory = _ => 250_000 };
        var parquet = new Command("parquet", "Rewrite a dataset's text files as Parquet (string and list columns, declared features only)") { textData, output3, groupRows };
        parquet.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            var r = await ParquetConverter.ConvertAsync(parse.GetValue(textData)!, parse.GetValue(output3)!, parse.GetValue(groupRows), cancel);
            Console.WriteLine($"{r.Files} files, {r.Rows:N0} rows in {r.RowGroups} row groups → {parse.GetValue(output3)}");
        }));
        return new Command("convert", "Convert public datasets into SslRec's format") { movielens, graph, parquet };
    }
}
