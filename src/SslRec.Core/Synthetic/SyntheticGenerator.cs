using System.Globalization;
using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Core.Synthetic;

/// <summary>
/// Writes a synthetic dataset in SslRec's format, with the structure the method needs to show:
/// power-law item popularity; correlated item features (category → brand → price, category → tags);
/// a multi-valued feature on both sides; and query features that carry signal about the items (users
/// favour two categories and a price level; their history lists brands of items from those categories).
/// Files: schema.json, items.csv (catalog), interactions.csv (with an ignored timestamp column).
/// </summary>
public static class SyntheticGenerator
{
    private const int PriceLevels = 5;
    private const int Countries = 8;
    private static readonly string[] Devices = ["android", "ios", "web"];

    public static void Generate(string directory, SyntheticOptions o)
    {
        if (o.Items < o.Categories) throw new ArgumentException($"--items must be at least the number of categories ({o.Categories})");
        if (o.Interactions < 1) throw new ArgumentException("--interactions must be positive");
        Directory.CreateDirectory(directory);
        var rng = new Rng(o.Seed, stream: 0x5EED);
        var items = MakeItems(o, rng);
        WriteItems(Path.Combine(directory, "items.csv"), items);
        WriteInteractions(Path.Combine(directory, "interactions.csv"), items, o, rng);
        File.WriteAllText(Path.Combine(directory, DatasetSchema.FileName), Schema().ToJson());
    }

    public static DatasetSchema Schema() => new(
        query:
        [
            new FeatureSpec { Name = "user_id", Type = FeatureType.Categorical, Side = FeatureSide.Query },
            new FeatureSpec { Name = "country", Type = FeatureType.Categorical, Side = FeatureSide.Query },
            new FeatureSpec { Name = "device", Type = FeatureType.Categorical, Side = FeatureSide.Query },
            new FeatureSpec { Name = "history", Type = FeatureType.Multi, Side = FeatureSide.Query, Separator = '|' },
        ],
        item:
        [
            new FeatureSpec { Name = "item_id", Type = FeatureType.Categorical, Side = FeatureSide.Item, Key = true },
            new FeatureSpec { Name = "category", Type = FeatureType.Categorical, Side = FeatureSide.Item },
            new FeatureSpec { Name = "brand", Type = FeatureType.Categorical, Side = FeatureSide.Item },
            new FeatureSpec { Name = "price", Type = FeatureType.Categorical, Side = FeatureSide.Item },
            new FeatureSpec { Name = "tags", Type = FeatureType.Multi, Side = FeatureSide.Item, Separator = '|' },
        ],
        split: new SplitSpec(0.1, 42),
        ignore: ["ts"]);

    private sealed record Item(int Id, int Category, int Brand, int Price, int[] Tags, double Weight);

    private static Item[] MakeItems(SyntheticOptions o, Rng rng)
    {
        var ranks = Enumerable.Range(0, o.Items).ToArray();
        rng.Shuffle(ranks.AsSpan());
        var brandPrice = Enumerable.Range(0, o.Categories * o.BrandsPerCategory).Select(_ => rng.Next(PriceLevels)).ToArray();
        var items = new Item[o.Items];
        for (var i = 0; i < o.Items; i++)
        {
            // Every category gets items; categories differ in size (a few large ones).
            var category = i < o.Categories ? i : Math.Min(o.Categories - 1, (int)(o.Categories * Math.Pow(rng.NextDouble(), 1.5)));
            var brand = category * o.BrandsPerCategory + Math.Min(o.BrandsPerCategory - 1, (int)(o.BrandsPerCategory * Math.Pow(rng.NextDouble(), 2)));
            var price = rng.NextDouble() < 0.8 ? brandPrice[brand] : rng.Next(PriceLevels);
            var tagCount = 2 + rng.Next(3);
            var tags = new int[tagCount];
            for (var t = 0; t < tagCount; t++)
                tags[t] = rng.NextDouble() < 0.85
                    ? category * o.TagsPerCategory + rng.Next(o.TagsPerCategory)
                    : rng.Next(o.Categories * o.TagsPerCategory);
            items[i] = new Item(i, category, brand, price, tags.Distinct().ToArray(), 1.0 / Math.Pow(ranks[i] + 1, o.PopularityExponent));
        }
        return items;
    }

    private static void WriteItems(string path, Item[] items)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("item_id,category,brand,price,tags");
        foreach (var it in items)
            w.WriteLine($"i{it.Id:D5},c{it.Category:D2},b{it.Brand:D3},p{it.Price},{string.Join('|', it.Tags.Select(t => $"t{t:D3}"))}");
    }

    private static void WriteInteractions(string path, Item[] items, SyntheticOptions o, Rng rng)
    {
        // Samplers: per (category, price preference), items weighted by popularity, 3× for the preferred price.
        var samplers = new WeightedSampler[o.Categories, PriceLevels];
        for (var c = 0; c < o.Categories; c++)
        {
            var inCategory = items.Where(it => it.Category == c).ToArray();
            for (var p = 0; p < PriceLevels; p++)
                samplers[c, p] = new WeightedSampler(inCategory.Select(it => it.Id).ToArray(), inCategory.Select(it => it.Weight * (it.Price == p ? 3 : 1)).ToArray());
        }
        var categoryWeights = new double[o.Categories];
        foreach (var it in items) categoryWeights[it.Category] += it.Weight;
        var categorySampler = new WeightedSampler(Enumerable.Range(0, o.Categories).ToArray(), categoryWeights);
        var globalSampler = new WeightedSampler(items.Select(it => it.Id).ToArray(), items.Select(it => it.Weight).ToArray());

        var userCount = o.Users > 0 ? o.Users : Math.Max(10, o.Interactions / 12);
        var users = new (int Fav1, int Fav2, int Price, int Country, int Device, string History)[userCount];
        for (var u = 0; u < userCount; u++)
        {
            var fav1 = categorySampler.Sample(rng);
            var fav2 = categorySampler.Sample(rng);
            var price = rng.Next(PriceLevels);
            // Countries lean towards a price level, so the country carries (weak) signal too.
            var country = rng.NextDouble() < 0.6 ? price + PriceLevels * rng.Next(2) : rng.Next(Countries + 2);
            var history = Enumerable.Range(0, 3 + rng.Next(3))
                .Select(_ => items[samplers[rng.NextDouble() < 0.5 ? fav1 : fav2, price].Sample(rng)].Brand)
                .Distinct().Select(b => $"b{b:D3}");
            users[u] = (fav1, fav2, price, Math.Min(country, Countries + 1), rng.Next(Devices.Length), string.Join('|', history));
        }
        // User activity is skewed too (a few heavy users).
        var userSampler = new WeightedSampler(Enumerable.Range(0, userCount).ToArray(),
            Enumerable.Range(0, userCount).Select(u => 1.0 / Math.Pow(u + 1, 0.4)).ToArray());

        using var w = new StreamWriter(path);
        w.WriteLine("user_id,country,device,history,item_id,ts");
        var ts = 1_700_000_000L;
        for (var n = 0; n < o.Interactions; n++)
        {
            var u = userSampler.Sample(rng);
            var user = users[u];
            var r = rng.NextDouble();
            int item;
            if (r < o.Affinity) item = samplers[r < o.Affinity / 2 ? user.Fav1 : user.Fav2, user.Price].Sample(rng);
            else item = globalSampler.Sample(rng);
            ts += 1 + rng.Next(30);
            w.Write("u");
            w.Write(u.ToString("D5", CultureInfo.InvariantCulture));
            w.Write($",k{user.Country},{Devices[user.Device]},{user.History},i{item:D5},{ts}\n");
        }
    }
}
