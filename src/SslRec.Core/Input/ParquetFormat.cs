using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>
/// Parquet (<see cref="ParquetRowReader"/>): planned from the footer alone into runs of whole row groups, and read
/// by seeking to the footer and then to the column chunks of the shard's row groups, so a map task downloads only
/// its own part of a large blob. Parquet compresses its own pages, so a .parquet.gz is refused.
/// </summary>
public sealed class ParquetFormat : InputFormat
{
    public static readonly ParquetFormat Instance = new();

    /// <summary>About as many rows as a text shard of the same byte size holds (48 bytes a row, as in the generated data).</summary>
    public const int BytesPerRowEstimate = 48;

    private ParquetFormat() { }

    public override string Name => "Parquet";
    public override IReadOnlyList<string> Extensions { get; } = [".parquet"];
    public override RangeUnit Unit => RangeUnit.RowGroups;
    protected override ReadPattern WholeFileReads => ReadPattern.Random;

    /// <summary>
    /// Consecutive row groups holding about as many rows as a text shard of shardTargetBytes
    /// (shardTargetBytes / <see cref="BytesPerRowEstimate"/>; 1.4M rows at 64 MB): a map task's memory follows its
    /// rows, and Parquet's sizes (compressed, dictionary-encoded) say little about them. Row groups are added while
    /// the shard stays within that; a row group is never split.
    /// </summary>
    protected override IReadOnlyList<InputRange> PlanRanges(IDataSource source, long shardTargetBytes)
    {
        using var stream = source.OpenRead(0, ReadPattern.Random);
        var footer = ParquetRowReader.OpenFooter(stream, source.Name);
        try
        {
            var targetRows = shardTargetBytes > 0 ? Math.Max(1, shardTargetBytes / BytesPerRowEstimate) : long.MaxValue;
            var ranges = new List<InputRange>();
            var start = 0;
            long rows = 0;
            for (var g = 0; g < footer.RowGroupCount; g++)
            {
                var groupRows = footer.RowGroups[g].RowCount;
                if (g > start && rows + groupRows > targetRows)
                {
                    ranges.Add(new InputRange(start, g));
                    start = g;
                    rows = 0;
                }
                rows += groupRows;
            }
            ranges.Add(new InputRange(start, footer.RowGroupCount));
            return ranges;
        }
        finally
        {
            ParquetSyncBridge.Close(footer);
        }
    }

    public override IRowReader Read(Stream stream, string name, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        new ParquetRowReader(stream, name, columns, ignored);

    protected override IRowReader OpenRange(IDataSource source, InputRange range, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        ReadOrDispose(source.OpenRead(0, ReadPattern.Random),
            stream => new ParquetRowReader(stream, source.Name, columns, ignored, checked((int)range.Start), checked((int)range.End)));
}
