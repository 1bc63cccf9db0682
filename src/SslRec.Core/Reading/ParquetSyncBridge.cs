using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace SslRec.Core.Reading;

/// <summary>
/// The one place the synchronous row path waits on Parquet.Net, whose API is async only. Rows go one at a
/// time through <see cref="IRowReader"/> into the encoders' CPU-bound loops (map shards, local reads, the
/// converter's input), which run on threads without a synchronization context, so a wait cannot deadlock; and
/// it happens per footer and per column chunk, never per row. Making IRowReader async would put an await in
/// every row of every format for the one format that needs it.
/// </summary>
internal static class ParquetSyncBridge
{
    public static ParquetReader OpenFooter(Stream stream) =>
        ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();

    public static RawColumnData ReadColumn(ParquetRowGroupReader group, DataField leaf) =>
        group.ReadRawColumnDataBaseAsync(leaf).AsTask().GetAwaiter().GetResult();

    public static void Close(ParquetReader reader) => reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
