using Microsoft.Extensions.Logging;
using SslRec.Core.Data;
using SslRec.Core.Input;
using SslRec.Core.Schema;
using SslRec.Core.Vocab;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Shard-map (fan-out): one file, byte range or run of row groups (read by its format, <see cref="InputFile"/>) → validated, split, locally encoded rows
/// (<see cref="ShardEncoder"/>), written as blobs: the rows (runs/{run}/shards/{index}.rows.bin, read
/// later by the shard's remap), the partitioned features' values ordered by hash ({index}.keys.bin, read by
/// byte range by each reduce partition), the item key's entries with the items' features ({index}.items.bin, read
/// the same way), their distinct-count sketches ({index}.sketch.bin, read by the reduce's planner), then what the
/// header step reads ({index}.vocab.bin: row totals, bad rows, the values of features tied to other item features). Fan-in uses the vocabulary blobs as the completion record: after writing its shard,
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
            DatasetSchema schema;
            try
            {
                (shard, schema) = await EncodeAsync(run, m, ct);
            }
            catch (Exception e) when (StageFailures.IsDataError(e))
            {
                ctx.Logger.LogError("shard-map: run {Run} shard {Index}: {Message}", m.RunId, m.Index, e.Message);
                await ctx.Runs.FailRunAsync(m.RunId, Name, e.Message, ct);
                return;
            }
            // The hashed features' values go to the keys blob, ordered by hash for the reduce partitions, with
            // their sketches for the planner, and the item key's entries (with the items' features) beside them;
            // the vocabulary blob keeps the rest for the header step. Rows first, and dropped before the keys are
            // built; each part is dropped once written (a shard's dictionaries, keys and rows are the stage's memory).
            // The vocabulary blob, last, marks the shard complete.
            var vocabulary = shard.Vocabulary;
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardRows(m.RunId, m.Index), s => BinaryFormat.WriteShardRows(s, shard.Rows), ct);
            shard = null!;
            var slots = VocabularyPartitioning.HashedSlots(schema);
            var keyPosition = Array.IndexOf(slots, VocabularyPartitioning.KeySlot(schema));
            var sketches = new HyperLogLog[slots.Length];
            ShardItemEntries? items = null;
            // one feature's values ordered by hash at a time (the item key's entries are built beside its own)
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardKeys(m.RunId, m.Index), s => PartitionFormat.WriteKeys(s, slots.Length, j =>
            {
                var (hashed, sketch) = HashedDictionary.Build(vocabulary.Dictionaries[slots[j]]);
                sketches[j] = sketch;
                if (j == keyPosition) items = ShardItemEntries.Build(vocabulary, hashed, schema);
                return hashed;
            }), ct);
            var remainder = vocabulary.HeaderStepPart(schema);
            vocabulary = null!;
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardItems(m.RunId, m.Index), s => PartitionFormat.WriteItemEntries(s, items!), ct);
            items = null;
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, BlobLayout.ShardSketch(m.RunId, m.Index), s => PartitionFormat.WriteSketches(s, sketches), ct);
            await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, vocabularyBlob, s => BinaryFormat.WriteShardVocabulary(s, remainder), ct);
            ctx.Logger.LogInformation("shard-map: run {Run} shard {Index}: {Rows} rows ({Bad} bad)", m.RunId, m.Index, remainder.RowsRead, remainder.BadRows);
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

    private async Task<(PartialShard, DatasetSchema)> EncodeAsync(RunRecord run, ShardMapMessage m, CancellationToken ct)
    {
        var schema = await DatasetBlobs.LoadSchemaAsync(ctx.Blobs, run.Dataset, run.DatasetVersion, ct);
        var file = new InputFile(new BlobDataSource(ctx.Blobs.Blob(BlobLayout.Datasets, m.Blob), cancellationToken: ct));
        // Start and End mean what the file's format counts; a message that says otherwise was planned for another
        // format (or by hand) and is refused rather than misread. Older messages name no unit: the format gives it.
        if (m.Unit is { } unit && unit != file.Format.Unit)
            throw new InvalidMessageException($"shard-map: {file.Name} is {file.Format.Name}, whose ranges count {file.Format.Unit}, but the message's range [{m.Start}, {m.End}) counts {unit}");
        var options = new DatasetReadOptions { MaxBadRows = ctx.Options.MaxBadRows };
        return (ShardEncoder.Encode(file, new InputRange(m.Start, m.End), m.Catalog, schema, withCatalog: run.Shards.Any(s => s.Catalog), options), schema);
    }
}
