using System.Text;
using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Reading;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Shard-map (fan-out): one file or byte range → validated, split, locally encoded rows
/// (<see cref="ShardEncoder"/>), written as two blobs: the rows (runs/{run}/shards/{index}.rows.bin, read
/// later by the shard's remap) and then the dictionaries and counts ({index}.vocab.bin, read by the
/// vocabulary reduce). Fan-in uses the vocabulary blobs as the completion record: after writing its shard,
/// a task lists the shard folder, and when every planned shard is there it enqueues the reduce. Duplicate
/// or late messages find their shard written and only repeat that check; the reduce is idempotent, so an
/// extra reduce message is harmless.
/// </summary>
public sealed class ShardMapStage(PipelineContext ctx)
{
    public const string Name = "shard-map";

    public async Task HandleAsync(ShardMapMessage m, CancellationToken ct = default)
    {
        var run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is RunState.Failed) return;
        var vocabularyBlob = BlobLayout.ShardVocabulary(m.RunId, m.Index);
        if (!await ctx.Blobs.ExistsAsync(BlobLayout.Artifacts, vocabularyBlob, ct))
        {
            await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
            PartialShard shard;
            try
            {
                shard = await EncodeAsync(run, m, ct);
            }
            catch (Exception e) when (StageFailures.IsDataError(e))
            {
                ctx.Logger.LogError("shard-map: run {Run} shard {Index}: {Message}", m.RunId, m.Index, e.Message);
                await ctx.Runs.FailRunAsync(m.RunId, Name, e.Message, ct);
                return;
            }
            // rows first: the vocabulary blob marks the shard complete
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardRows(m.RunId, m.Index), s => BinaryFormat.WriteShardRows(s, shard.Rows), ct);
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, vocabularyBlob, s => BinaryFormat.WriteShardVocabulary(s, shard.Vocabulary), ct);
            ctx.Logger.LogInformation("shard-map: run {Run} shard {Index}: {Rows} rows ({Bad} bad)", m.RunId, m.Index, shard.Vocabulary.RowsRead, shard.Vocabulary.BadRows);
            shard = null!;
            LargeHeap.Compact();
        }

        var done = (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.ShardPrefix(m.RunId), ct))
            .Count(b => b.Name.EndsWith(BlobLayout.ShardVocabularySuffix, StringComparison.Ordinal));
        if (done < run.Shards.Count) return;
        run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is not (RunState.Planned or RunState.Mapping)) return; // the reduce was already asked for
        await ctx.Bus.SendAsync(QueueNames.ShardReduce, new ShardReduceMessage { RunId = m.RunId }, ct);
        await ctx.Runs.StageFinishedAsync(m.RunId, Name, r => { if (r.State is RunState.Planned or RunState.Mapping) r.State = RunState.Reducing; }, ct);
    }

    private async Task<PartialShard> EncodeAsync(RunRecord run, ShardMapMessage m, CancellationToken ct)
    {
        var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
        var blob = ctx.Blobs.Blob(BlobLayout.Datasets, m.Blob);
        var ranged = m.End >= 0;
        var name = ranged ? LineRange.Describe($"{BlobLayout.Datasets}/{m.Blob}", m.Start, m.End) : $"{BlobLayout.Datasets}/{m.Blob}";
        var options = new DatasetReadOptions { MaxBadRows = ctx.Options.MaxBadRows };

        var columns = m.Catalog ? ShardEncoder.CatalogColumns(schema) : ShardEncoder.InteractionColumns(schema);
        var hasCatalog = run.Shards.Any(s => s.Catalog);
        if (DataFiles.IsParquet(m.Blob))
        {
            // row groups [Start, End); the blob's read stream is seekable, so only their column chunks are downloaded
            var parquet = await blob.OpenReadAsync(position: 0, cancellationToken: ct);
            using var rowGroups = new ParquetRowReader(parquet, $"{BlobLayout.Datasets}/{m.Blob}", columns, schema.Ignore, (int)m.Start, (int)m.End);
            return m.Catalog ? ShardEncoder.EncodeCatalog(rowGroups, schema, options) : ShardEncoder.EncodeInteractions(rowGroups, schema, hasCatalog, options);
        }
        Stream stream;
        if (!ranged)
        {
            stream = await blob.OpenReadAsync(position: 0, cancellationToken: ct);
            if (DataFiles.IsCompressed(m.Blob)) stream = new CheckedGzipStream(stream, name);
        }
        else
        {
            byte[]? header = null;
            if (m.Start > 0 && DataFiles.HasHeader(m.Blob)) header = await ReadHeaderAsync(blob, ct);
            stream = LineRange.Open(await blob.OpenReadAsync(position: Math.Max(0, m.Start - 1), cancellationToken: ct), m.Start, m.End, header);
        }
        using var reader = DataFiles.Open(stream, name, columns, schema.Ignore, decompress: false, fileName: m.Blob);
        return m.Catalog
            ? ShardEncoder.EncodeCatalog(reader, schema, options)
            : ShardEncoder.EncodeInteractions(reader, schema, hasCatalog, options);
    }

    private static async Task<byte[]> ReadHeaderAsync(Azure.Storage.Blobs.BlobClient blob, CancellationToken ct)
    {
        await using var s = await blob.OpenReadAsync(position: 0, bufferSize: 1 << 16, cancellationToken: ct);
        return LineRange.ReadHeader(s);
    }
}
