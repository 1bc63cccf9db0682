using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Core.Synthetic;

/// <summary>
/// Same-entity data, as in the paper's Wikipedia link prediction: pages link to pages, and the source
/// page's id, category and words are the query while the linked page is the item. Pages belong to
/// small topical clusters within categories; a page links mostly within its cluster, then its category,
/// then anywhere, and the target is drawn by a power law, so in-degree is heavy-tailed (most pages are
/// rarely linked) while every page is a source about equally often. The schema ties each query feature
/// to its item counterpart ("shares"); untie it to compare.
/// Files: schema.json, items.csv (page, category, words), interactions.csv (src_page, src_category, src_words, page).
/// </summary>
public static class LinkPredictionGenerator
{
    private const int PagesPerCluster = 20;
    private const int ClustersPerCategory = 5;
    private const int WordsPerCluster = 6;
    private const int WordsPerCategory = 20;

    public static void Generate(string directory, SyntheticOptions o)
    {
        if (o.Items < PagesPerCluster) throw new ArgumentException($"--items (pages) must be at least {PagesPerCluster}");
        if (o.Interactions < 1) throw new ArgumentException("--interactions must be positive");
        Directory.CreateDirectory(directory);
        var rng = new Rng(o.Seed, stream: 0x11C4);
        var pages = MakePages(o.Items, o.PopularityExponent, rng);
        using (var w = new StreamWriter(Path.Combine(directory, "items.csv")))
        {
            w.WriteLine("page,category,words");
            foreach (var p in pages) w.WriteLine($"{p.Name},{p.Category},{p.Words}");
        }
        WriteLinks(Path.Combine(directory, "interactions.csv"), pages, o, rng);
        File.WriteAllText(Path.Combine(directory, DatasetSchema.FileName), Schema().ToJson());
    }

    public static DatasetSchema Schema() => new(
        query:
        [
            new FeatureSpec { Name = "src_page", Type = FeatureType.Categorical, Side = FeatureSide.Query, Shares = "page" },
            new FeatureSpec { Name = "src_category", Type = FeatureType.Categorical, Side = FeatureSide.Query, Shares = "category" },
            new FeatureSpec { Name = "src_words", Type = FeatureType.Multi, Side = FeatureSide.Query, Separator = '|', Shares = "words" },
        ],
        item:
        [
            new FeatureSpec { Name = "page", Type = FeatureType.Categorical, Side = FeatureSide.Item, Key = true },
            new FeatureSpec { Name = "category", Type = FeatureType.Categorical, Side = FeatureSide.Item },
            new FeatureSpec { Name = "words", Type = FeatureType.Multi, Side = FeatureSide.Item, Separator = '|' },
        ],
        split: new SplitSpec(0.1, 42));

    private sealed record Page(int Id, int Cluster, string Name, string Category, string Words, double Weight);

    private static Page[] MakePages(int count, double exponent, Rng rng)
    {
        var ranks = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(ranks.AsSpan());
        var pages = new Page[count];
        for (var i = 0; i < count; i++)
        {
            var cluster = i / PagesPerCluster;
            var category = cluster / ClustersPerCategory;
            // words: mostly the cluster's own, some of the category's, the odd one from anywhere
            var words = Enumerable.Range(0, 3 + rng.Next(3)).Select(_ => rng.NextDouble() switch
            {
                < 0.6 => $"w{cluster}_{rng.Next(WordsPerCluster)}",
                < 0.9 => $"v{category}_{rng.Next(WordsPerCategory)}",
                _ => $"v{rng.Next(count / PagesPerCluster / ClustersPerCategory + 1)}_{rng.Next(WordsPerCategory)}",
            }).Distinct();
            pages[i] = new Page(i, cluster, $"p{i:D5}", $"c{category:D3}", string.Join('|', words), 1.0 / Math.Pow(ranks[i] + 1, exponent));
        }
        return pages;
    }

    private static void WriteLinks(string path, Page[] pages, SyntheticOptions o, Rng rng)
    {
        var byCluster = pages.GroupBy(p => p.Cluster).ToDictionary(g => g.Key, g => Sampler(g));
        var byCategory = pages.GroupBy(p => p.Category).ToDictionary(g => g.Key, g => Sampler(g));
        var global = Sampler(pages);
        using var w = new StreamWriter(path);
        w.WriteLine("src_page,src_category,src_words,page");
        for (var n = 0; n < o.Interactions; n++)
        {
            var src = pages[rng.Next(pages.Length)];
            Page dst;
            do
            {
                var r = rng.NextDouble();
                var sampler = r < o.Affinity ? byCluster[src.Cluster] : r < o.Affinity + (1 - o.Affinity) / 2 ? byCategory[src.Category] : global;
                dst = pages[sampler.Sample(rng)];
            } while (dst.Id == src.Id);
            w.Write($"{src.Name},{src.Category},{src.Words},{dst.Name}\n");
        }
    }

    /// <summary>Draws page ids of a group in proportion to their popularity weight.</summary>
    private static WeightedSampler Sampler(IEnumerable<Page> group)
    {
        var members = group.ToArray();
        return new WeightedSampler(members.Select(p => p.Id).ToArray(), members.Select(p => p.Weight).ToArray());
    }
}
