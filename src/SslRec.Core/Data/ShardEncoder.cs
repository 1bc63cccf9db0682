using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// The map step: one streaming pass over one input, producing a <see cref="PartialShard"/>. Unusable rows
/// raise a <see cref="DataFormatException"/> naming file, row and field, unless the bad-row allowance
/// lets them be skipped and counted. A row is checked completely before anything of it is recorded.
/// </summary>
public static class ShardEncoder
{
    private const int ProgressEvery = 100_000;

    public static ColumnRequest[] InteractionColumns(DatasetSchema schema) => schema.All.Select(Request).ToArray();
    public static ColumnRequest[] CatalogColumns(DatasetSchema schema) => schema.Item.Select(Request).ToArray();
    private static ColumnRequest Request(FeatureSpec f) => new(f.Name, f.IsMulti ? f.Separator : null);

    /// <summary>
    /// One map task, local or in the pipeline: the rows of one planned range of a file (a catalog's item rows, or
    /// interactions; <paramref name="withCatalog"/>: whether the dataset has a catalog).
    /// </summary>
    public static PartialShard Encode(InputFile file, InputRange range, bool catalog, DatasetSchema schema, bool withCatalog, DatasetReadOptions options)
    {
        using var reader = file.Open(range, catalog ? CatalogColumns(schema) : InteractionColumns(schema), schema.Ignore);
        return catalog ? EncodeCatalog(reader, schema, options) : EncodeInteractions(reader, schema, withCatalog, options);
    }

    /// <param name="withCatalog">whether the dataset has a catalog (then item features in interaction files are optional and ignored)</param>
    public static PartialShard EncodeInteractions(IRowReader reader, DatasetSchema schema, bool withCatalog, DatasetReadOptions options)
    {
        var q = schema.Query.Count;
        var keySlot = q + schema.ItemKeyIndex;
        var columns = InteractionColumns(schema);
        for (var slot = 0; slot < columns.Length; slot++)
        {
            var required = slot < q || slot == keySlot || !withCatalog;
            if (required && !reader.HasColumn(slot))
                throw new DataFormatException(reader.FilePath, 1, columns[slot].Name, "column declared in schema.json is missing from the header");
        }
        var dictionaries = schema.All.Select(_ => new LocalDictionary()).ToArray();
        var keyDictionary = dictionaries[keySlot];
        var train = schema.Query.Select((f, i) => new FeatureColumnBuilder(f, dictionaries[i])).ToArray();
        var eval = schema.Query.Select((f, i) => new FeatureColumnBuilder(f, dictionaries[i])).ToArray();
        var items = schema.Item.Select((f, i) => new FeatureColumnBuilder(f, dictionaries[q + i])).ToArray();
        var trainKeys = new IntList();
        var evalKeys = new IntList();
        var itemRows = new List<long>();
        var firstRowOfKey = new List<long> { 0 };
        long outside = 0;
        var splitKey = new SplitKey(schema);

        var bad = ForEachRow(reader, options, r =>
        {
            var key = r.Get(keySlot);
            if (key.IsEmpty) throw new DataFormatException(r.FilePath, r.Row, schema.ItemKey.Name, "missing item key");
            var split = Classify(r, splitKey, schema.Split, options);
            var keyId = keyDictionary.IdOf(key);
            if (keyId == firstRowOfKey.Count)
            {
                firstRowOfKey.Add(r.Row);
                if (!withCatalog)
                {
                    for (var f = 0; f < items.Length; f++) items[f].Add(r.Get(q + f));
                    itemRows.Add(r.Row);
                }
            }
            switch (split)
            {
                case RowSplit.OutsideFraction:
                    outside++;
                    break;
                case RowSplit.Train:
                    for (var f = 0; f < q; f++) train[f].Add(r.Get(f), count: true);
                    keyDictionary.AddCount(keyId);
                    trainKeys.Add(keyId);
                    break;
                default:
                    for (var f = 0; f < q; f++) eval[f].Add(r.Get(f));
                    evalKeys.Add(keyId);
                    break;
            }
        });

        var keys = trainKeys.ToArray();
        var held = evalKeys.ToArray();
        var evalRowsOfKey = new int[keyDictionary.Count];
        foreach (var k in held) evalRowsOfKey[k]++;
        return new PartialShard
        {
            Vocabulary = new ShardVocabulary
            {
                Kind = ShardKind.Interactions,
                Source = reader.FilePath,
                Dictionaries = dictionaries,
                EvalRowsOfKey = evalRowsOfKey,
                Items = Build(items, itemRows.Count),
                ItemRows = itemRows.ToArray(),
                FirstRowOfKey = firstRowOfKey.ToArray(),
                RowsRead = bad.Rows,
                RowsOutsideFraction = outside,
                BadRows = bad.Count,
                BadRowMessages = bad.Messages,
            },
            Rows = new ShardRows
            {
                TrainQueries = Build(train, keys.Length),
                TrainKeys = keys,
                EvalQueries = Build(eval, held.Length),
                EvalKeys = held,
            },
        };
    }

    public static PartialShard EncodeCatalog(IRowReader reader, DatasetSchema schema, DatasetReadOptions options)
    {
        var q = schema.Query.Count;
        var columns = CatalogColumns(schema);
        for (var slot = 0; slot < columns.Length; slot++)
            if (!reader.HasColumn(slot))
                throw new DataFormatException(reader.FilePath, 1, columns[slot].Name, "item feature declared in schema.json is missing from the catalog header");
        var dictionaries = schema.All.Select(_ => new LocalDictionary()).ToArray();
        var keyDictionary = dictionaries[q + schema.ItemKeyIndex];
        var items = schema.Item.Select((f, i) => new FeatureColumnBuilder(f, dictionaries[q + i])).ToArray();
        var itemRows = new List<long>();
        var firstRowOfKey = new List<long> { 0 };

        var bad = ForEachRow(reader, options, r =>
        {
            var key = r.Get(schema.ItemKeyIndex);
            if (key.IsEmpty) throw new DataFormatException(r.FilePath, r.Row, schema.ItemKey.Name, "missing item key");
            if (keyDictionary.IdOf(key) != firstRowOfKey.Count)
                throw new DataFormatException(r.FilePath, r.Row, schema.ItemKey.Name, $"duplicate item key '{key}' (first on row {firstRowOfKey[keyDictionary.IdOf(key)]})");
            firstRowOfKey.Add(r.Row);
            for (var f = 0; f < items.Length; f++) items[f].Add(r.Get(f));
            itemRows.Add(r.Row);
        });

        var none = Build(schema.Query.Select((f, i) => new FeatureColumnBuilder(f, dictionaries[i])).ToArray(), 0);
        return new PartialShard
        {
            Vocabulary = new ShardVocabulary
            {
                Kind = ShardKind.Catalog,
                Source = reader.FilePath,
                Dictionaries = dictionaries,
                EvalRowsOfKey = new int[keyDictionary.Count],
                Items = Build(items, itemRows.Count),
                ItemRows = itemRows.ToArray(),
                FirstRowOfKey = firstRowOfKey.ToArray(),
                RowsRead = bad.Rows,
                BadRows = bad.Count,
                BadRowMessages = bad.Messages,
            },
            Rows = new ShardRows { TrainQueries = none, TrainKeys = [], EvalQueries = none, EvalKeys = [] },
        };
    }

    private static EncodedTable Build(FeatureColumnBuilder[] builders, int rows) => new(builders.Select(b => b.Build()).ToList(), rows);

    private enum RowSplit { Train, Eval, OutsideFraction }

    /// <summary>
    /// The split depends only on the row's declared values (<see cref="SplitKey"/>) and the seeds, so any
    /// sharding of the files, and any format of the same rows, splits alike.
    /// </summary>
    private static RowSplit Classify(IRowReader row, SplitKey key, SplitSpec split, DatasetReadOptions options)
    {
        if (StableHash.Unit(key.Hash(row, split.Seed)) < split.HoldoutFraction) return RowSplit.Eval;
        if (options.DataFraction < 1 && StableHash.Unit(key.Hash(row, split.Seed ^ StableHash.Mix(options.FractionSeed))) >= options.DataFraction)
            return RowSplit.OutsideFraction;
        return RowSplit.Train;
    }

    private sealed record BadRows(long Rows, long Count, List<string> Messages);

    private static BadRows ForEachRow(IRowReader reader, DatasetReadOptions options, Action<IRowReader> handle)
    {
        long rows = 0, bad = 0;
        var messages = new List<string>();
        while (true)
        {
            try
            {
                if (!reader.Read()) break;
                rows++;
                if (rows % ProgressEvery == 0) options.Progress?.Invoke(reader.FilePath, rows);
                handle(reader);
            }
            catch (DataFormatException e) when (bad < options.MaxBadRows)
            {
                bad++;
                if (messages.Count < 20) messages.Add(e.Message);
            }
        }
        return new BadRows(rows, bad, messages);
    }
}
