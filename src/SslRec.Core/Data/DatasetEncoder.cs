using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Core.Util;
using SslRec.Core.Vocab;

namespace SslRec.Core.Data;

/// <summary>
/// Reads a dataset folder in two streaming passes: pass 1 validates rows and counts values (vocabularies
/// are built from training rows only), pass 2 encodes rows into int32 columns. Memory holds the value
/// counts, the encoded arrays and — without a catalog — the raw features of each distinct item, never
/// the interactions' text.
///
/// Vocabulary counts: query features and the item key count training interactions; the other item
/// features count catalog items (each item once), so a category seen only on cold items still gets an
/// id the SSL task can train.
/// </summary>
public sealed class DatasetEncoder
{
    private const int ProgressEvery = 100_000;

    private readonly DatasetSchema _schema;
    private readonly DatasetReadOptions _options;
    private readonly IReadOnlyList<string> _files;
    private readonly string? _catalog;
    private readonly ColumnRequest[] _interactionColumns;
    private readonly ColumnRequest[] _catalogColumns;
    private readonly int _keySlot;          // slot of the item key among the interaction columns
    private readonly int _queryCount;

    private readonly HashSet<(int File, long Row)> _badRows = [];
    private readonly List<string> _badMessages = [];
    private long _rowsRead;

    private DatasetEncoder(DatasetSchema schema, IReadOnlyList<string> files, string? catalog, DatasetReadOptions options)
    {
        if (options.DataFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "data fraction must be in (0, 1]");
        _schema = schema;
        _files = files;
        _catalog = catalog;
        _options = options;
        _interactionColumns = schema.All.Select(Request).ToArray();
        _catalogColumns = schema.Item.Select(Request).ToArray();
        _queryCount = schema.Query.Count;
        _keySlot = _queryCount + schema.ItemKeyIndex;
    }

    private static ColumnRequest Request(FeatureSpec f) => new(f.Name, f.IsMulti ? f.Separator : null);

    /// <summary>Reads the dataset folder (schema.json, interaction files, optional items.* catalog).</summary>
    public static EncodedDataset Read(string directory, DatasetReadOptions? options = null)
    {
        var schema = DatasetSchema.Load(Path.Combine(directory, DatasetSchema.FileName));
        var (files, catalog) = DataFiles.Discover(directory);
        return Read(schema, files, catalog, options);
    }

    public static EncodedDataset Read(DatasetSchema schema, IReadOnlyList<string> interactionFiles, string? catalog, DatasetReadOptions? options = null) =>
        new DatasetEncoder(schema, interactionFiles, catalog, options ?? new DatasetReadOptions()).Run();

    private EncodedDataset Run()
    {
        // ---- pass 1: validate, split, count ----
        var queryCounters = _schema.Query.Select(_ => new ValueCounter()).ToArray();
        var itemCounters = _schema.Item.Select(_ => new ValueCounter()).ToArray();
        var keyCounter = itemCounters[_schema.ItemKeyIndex];
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemLookup = itemIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        var rawItems = new List<string[]>();   // only without a catalog: each item's feature text, first occurrence
        long catalogItems = 0;

        if (_catalog is not null)
        {
            ForEachCatalogRow(pass: 1, (reader, row) =>
            {
                var key = reader.Get(_schema.ItemKeyIndex);
                if (itemLookup.ContainsKey(key)) throw new DataFormatException(reader.FilePath, row, _schema.ItemKey.Name, $"duplicate item key '{key}'");
                itemIndex.Add(key.ToString(), itemIndex.Count);
                for (var f = 0; f < _schema.Item.Count; f++)
                    if (f != _schema.ItemKeyIndex) itemCounters[f].AddValues(reader.Get(f), _catalogColumns[f].MultiSeparator);
            });
            catalogItems = itemIndex.Count;
        }

        long train = 0, eval = 0, outside = 0;
        var trainCounts = new List<long>();
        ForEachInteraction(pass: 1, (reader, split) =>
        {
            var key = reader.Get(_keySlot);
            if (!itemLookup.TryGetValue(key, out var index))
            {
                if (_catalog is not null)
                    throw new DataFormatException(reader.FilePath, reader.Row, _schema.ItemKey.Name, $"item '{key}' is not in the catalog {Path.GetFileName(_catalog)}");
                index = itemIndex.Count;
                itemIndex.Add(key.ToString(), index);
                var raw = new string[_schema.Item.Count];
                for (var f = 0; f < raw.Length; f++)
                {
                    raw[f] = reader.Get(_queryCount + f).ToString();
                    if (f != _schema.ItemKeyIndex) itemCounters[f].AddValues(raw[f], _catalogColumns[f].MultiSeparator);
                }
                rawItems.Add(raw);
            }
            while (trainCounts.Count <= index) trainCounts.Add(0);
            switch (split)
            {
                case RowSplit.Eval: eval++; break;
                case RowSplit.OutsideFraction: outside++; break;
                case RowSplit.Train:
                    train++;
                    trainCounts[index]++;
                    keyCounter.Add(key);
                    for (var f = 0; f < _queryCount; f++) queryCounters[f].AddValues(reader.Get(f), _interactionColumns[f].MultiSeparator);
                    break;
            }
        });
        if (train == 0) throw new InvalidDataException($"no training rows: {_rowsRead} rows read, {eval} held out, {outside} outside the data fraction");

        var vocabularies = _schema.Query.Select((f, i) => Vocabulary.Build(f.Name, queryCounters[i], f.MinCount, f.OovBuckets))
            .Concat(_schema.Item.Select((f, i) => Vocabulary.Build(f.Name, itemCounters[i], f.MinCount, f.OovBuckets)))
            .ToList();
        var itemVocabularies = vocabularies.Skip(_queryCount).ToList();

        // ---- pass 2: encode ----
        var itemBuilders = _schema.Item.Select((f, i) => new FeatureColumnBuilder(f, itemVocabularies[i], itemIndex.Count)).ToArray();
        if (_catalog is not null)
        {
            ForEachCatalogRow(pass: 2, (reader, _) =>
            {
                for (var f = 0; f < itemBuilders.Length; f++) itemBuilders[f].Add(reader.Get(f));
            });
        }
        else
        {
            foreach (var raw in rawItems)
                for (var f = 0; f < itemBuilders.Length; f++) itemBuilders[f].Add(raw[f]);
        }
        var keys = new string[itemIndex.Count];
        foreach (var (key, i) in itemIndex) keys[i] = key;

        var trainQueries = _schema.Query.Select((f, i) => new FeatureColumnBuilder(f, vocabularies[i], (int)train)).ToArray();
        var evalQueries = _schema.Query.Select((f, i) => new FeatureColumnBuilder(f, vocabularies[i], (int)eval)).ToArray();
        var trainItems = new IntList((int)train);
        var evalItems = new IntList((int)eval);
        _rowsRead = 0;
        ForEachInteraction(pass: 2, (reader, split) =>
        {
            if (split == RowSplit.OutsideFraction) return;
            var (builders, items) = split == RowSplit.Train ? (trainQueries, trainItems) : (evalQueries, evalItems);
            for (var f = 0; f < builders.Length; f++) builders[f].Add(reader.Get(f));
            items.Add(itemLookup[reader.Get(_keySlot)]);
        });

        var counts = new long[keys.Length];
        for (var i = 0; i < trainCounts.Count; i++) counts[i] = trainCounts[i];
        return new EncodedDataset
        {
            Schema = _schema,
            Vocabularies = vocabularies,
            Items = new EncodedTable(itemBuilders.Select(b => b.Build()).ToList(), keys.Length),
            ItemKeys = keys,
            ItemTrainCounts = counts,
            Train = new EncodedExamples(new EncodedTable(trainQueries.Select(b => b.Build()).ToList(), trainItems.Count), trainItems.ToArray()),
            Eval = new EncodedExamples(new EncodedTable(evalQueries.Select(b => b.Build()).ToList(), evalItems.Count), evalItems.ToArray()),
            Report = new ReadReport
            {
                RowsRead = _rowsRead, TrainRows = train, EvalRows = eval, RowsOutsideFraction = outside,
                BadRows = _badRows.Count, BadRowMessages = _badMessages, CatalogItems = catalogItems,
            },
        };
    }

    private enum RowSplit { Train, Eval, OutsideFraction }

    private RowSplit Classify(ReadOnlySpan<char> raw)
    {
        if (StableHash.Unit(StableHash.Hash(raw, _schema.Split.Seed)) < _schema.Split.HoldoutFraction) return RowSplit.Eval;
        if (_options.DataFraction < 1 && StableHash.Unit(StableHash.Hash(raw, _schema.Split.Seed ^ StableHash.Mix(_options.FractionSeed))) >= _options.DataFraction)
            return RowSplit.OutsideFraction;
        return RowSplit.Train;
    }

    private delegate void InteractionHandler(IRowReader reader, RowSplit split);
    private delegate void CatalogHandler(IRowReader reader, long row);

    private void ForEachInteraction(int pass, InteractionHandler handle)
    {
        for (var fileIndex = 0; fileIndex < _files.Count; fileIndex++)
        {
            using var reader = DataFiles.Open(_files[fileIndex], _interactionColumns, _schema.Ignore);
            for (var slot = 0; slot < _interactionColumns.Length; slot++)
            {
                var isItemFeature = slot >= _queryCount;
                var required = !isItemFeature || slot == _keySlot || _catalog is null;
                if (required && !reader.HasColumn(slot))
                    throw new DataFormatException(reader.FilePath, 1, _interactionColumns[slot].Name, "column declared in schema.json is missing from the header");
            }
            ForEachRow(reader, fileIndex, pass, r =>
            {
                if (r.Get(_keySlot).IsEmpty) throw new DataFormatException(r.FilePath, r.Row, _schema.ItemKey.Name, "missing item key");
                handle(r, Classify(r.RawText));
            });
        }
    }

    private void ForEachCatalogRow(int pass, CatalogHandler handle)
    {
        using var reader = DataFiles.Open(_catalog!, _catalogColumns, _schema.Ignore);
        for (var slot = 0; slot < _catalogColumns.Length; slot++)
            if (!reader.HasColumn(slot))
                throw new DataFormatException(reader.FilePath, 1, _catalogColumns[slot].Name, "item feature declared in schema.json is missing from the catalog header");
        ForEachRow(reader, -1, pass, r =>
        {
            if (r.Get(_schema.ItemKeyIndex).IsEmpty) throw new DataFormatException(r.FilePath, r.Row, _schema.ItemKey.Name, "missing item key");
            handle(r, r.Row);
        });
    }

    /// <summary>
    /// Runs the handler on each row. In pass 1 a bad row is skipped and remembered while the allowance
    /// lasts (otherwise the error propagates); pass 2 skips exactly the rows pass 1 rejected.
    /// </summary>
    private void ForEachRow(IRowReader reader, int fileIndex, int pass, Action<IRowReader> handle)
    {
        while (true)
        {
            bool more;
            try { more = reader.Read(); }
            catch (DataFormatException e) when (pass == 1 && Allow(fileIndex, e)) { continue; }
            catch (DataFormatException) when (pass == 2 && _badRows.Contains((fileIndex, reader.Row))) { continue; }
            if (!more) break;
            if (++_rowsRead % ProgressEvery == 0) _options.Progress?.Invoke(pass, _rowsRead);
            if (pass == 2 && _badRows.Contains((fileIndex, reader.Row))) continue;
            try { handle(reader); }
            catch (DataFormatException e) when (pass == 1 && Allow(fileIndex, e)) { }
        }
    }

    private bool Allow(int fileIndex, DataFormatException e)
    {
        if (_badRows.Count >= _options.MaxBadRows) return false;
        _badRows.Add((fileIndex, e.Row));
        if (_badMessages.Count < 20) _badMessages.Add(e.Message);
        return true;
    }
}
