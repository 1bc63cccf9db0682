using System.Globalization;
using Azure;
using Microsoft.Extensions.Logging;
using SslRec.Core.Artifacts;
using SslRec.Core.Checkpoints;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Schema;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Train + evaluate (the GPU job's stage): trains on the run's encoded dataset, checkpointing to blob and
/// resuming from the newest checkpoint when an earlier attempt died; evaluates; uploads the candidate
/// (embeddings, query tower, metrics, report); applies the publish gate against the model now published
/// for this dataset; enqueues publish if it passes. One attempt at a time per run (<see cref="RunLock"/>); a duplicate message finding the lease taken fails and is retried later, by
/// when the candidate exists and the stage only re-sends the publish request if needed.
/// </summary>
public sealed class TrainStage(PipelineContext ctx, IModelTrainer trainer)
{
    public const string Name = "train";

    public async Task HandleAsync(TrainMessage m, QueueDelivery delivery, CancellationToken ct = default)
    {
        var run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.State is RunState.Failed or RunState.Rejected or RunState.Published or RunState.Publishing) return;
        if (run.State == RunState.Evaluated)
        {
            if (run.Gate?.Passed == true) await ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = m.RunId }, ct);
            return;
        }

        await using var held = await RunLock.TryAcquireAsync(ctx.Blobs, m.RunId, Name, ct, holder: delivery.MessageId);
        if (held is null)
        {
            // Another message holds the run (e.g. a continuation, when the execution that sent it died before
            // deleting its own message): that message finishes the training, so this one is dropped instead of
            // failing attempt after attempt until it poisons a run that is doing fine.
            if (await RunLock.HolderAsync(ctx.Blobs, m.RunId, Name, ct) is { } holder && holder != delivery.MessageId)
                throw new DuplicateMessageException($"run {m.RunId} is being trained under message {holder}");
            throw new InvalidOperationException($"run {m.RunId} is being trained by another worker; this message will be retried");
        }
        var budget = ctx.Options.TrainTimeBudgetSeconds;
        await TrainAsync(run, m.Execution ?? 1, budget > 0 ? delivery.ReceivedAt + TimeSpan.FromSeconds(budget) : null, ct);
    }

    /// <param name="suspendAt">the execution's time budget: training past it checkpoints and throws <see cref="TrainingSuspendedException"/></param>
    private async Task TrainAsync(RunRecord run, int execution, DateTimeOffset? suspendAt, CancellationToken ct)
    {
        await ctx.Runs.StageStartedAsync(run.RunId, Name, ct);
        var work = Path.Combine(Path.GetTempPath(), "sslrec-train-" + run.RunId + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            TrainingOutcome outcome;
            EncodedDataset data;
            try
            {
                data = await OpenDatasetAsync(run, ct);
                var warm = run.WarmStart ? await DownloadPublishedModelAsync(await OpenPublishedAsync(run, ct), Path.Combine(work, "warm-start"), ct) : null;
                if (run.WarmStart && warm is null)
                    ctx.Logger.LogWarning("train: run {Run} asked for a warm start, but no published model of {Model} is kept; training from scratch", run.RunId, run.Model);
                var lastReport = DateTime.MinValue;
                TrainingProgressInfo? latest = null;
                try
                {
                    outcome = await Task.Run(() => trainer.Train(new TrainingRequest(
                        data, run.Overrides, new BlobCheckpointStore(ctx.Blobs, run.RunId, ct: ct), ctx.Options.CheckpointEvery, Path.Combine(work, "out"),
                        progress =>
                        {
                            progress.Executions = execution;
                            latest = progress;
                            if ((DateTime.UtcNow - lastReport).TotalSeconds < 5 && progress.Step < progress.TotalSteps) return;
                            lastReport = DateTime.UtcNow;
                            // IModelTrainer's progress callback is synchronous, on the training thread; every 5 s at most
                            ctx.Runs.UpdateAsync(run.RunId, r => r.Training = progress, ct).GetAwaiter().GetResult();
                        }, warm, ctx.Options.MaxEvalQueries, suspendAt), ct), ct);
                }
                catch (TrainingSuspendedException s)
                {
                    // The execution's time is up: its checkpoint holds step s.Step; the worker hands the run over.
                    if (latest is not null) await ctx.Runs.UpdateAsync(run.RunId, r => r.Training = latest, ct);
                    ctx.Logger.LogInformation("train: run {Run} reached its execution time budget at step {Step}/{Total} (execution {Execution}); checkpoint saved",
                        run.RunId, s.Step, s.TotalSteps, execution);
                    throw;
                }
            }
            catch (CorruptDatasetException e)
            {
                // A corrupt dataset blob stays corrupt: fail the run now instead of retrying it on the GPU.
                await ctx.Runs.FailRunAsync(run.RunId, Name, $"{e.Message}; drop the dataset again", ct);
                return;
            }
            catch (Exception e) when (e is SchemaException or ArgumentException)
            {
                // Options the data cannot train with (or out of bounds): the same on every attempt, so not retried.
                await ctx.Runs.FailRunAsync(run.RunId, Name, e.Message.Split('\n', 2)[0], ct);
                return;
            }

            foreach (var file in outcome.Files)
                await ctx.Blobs.UploadFileAsync(BlobLayout.Artifacts, BlobLayout.CandidatePrefix(run.RunId) + file, Path.Combine(work, "out", file), ct);

            var gate = await GateAsync(run, data, outcome.Metrics, Path.Combine(work, "published"), ct);
            await ctx.Runs.StageFinishedAsync(run.RunId, Name, r =>
            {
                r.Recall = outcome.Metrics.Recall;
                r.Gate = gate;
                r.State = gate.Passed ? RunState.Evaluated : RunState.Rejected;
            }, ct);
            ctx.Logger.LogInformation("train: run {Run} Recall@{K} {Recall:F4}; gate {Gate}: {Reason}", run.RunId, ctx.Options.GateK,
                gate.CandidateRecall, gate.Passed ? "passed" : "failed", gate.Reason);
            if (gate.Passed) await ctx.Bus.SendAsync(QueueNames.Publish, new PublishMessage { RunId = run.RunId }, ct);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsCorrupt(Exception e) => e is InvalidDataException or EndOfStreamException or FormatException or SchemaException or ArgumentException;

    /// <summary>
    /// The run's header (vocabularies, corpus) in memory and its example parts as blobs: the trainer downloads
    /// a shuffle buffer's worth at a time, so the job's memory does not grow with the dataset.
    /// </summary>
    private async Task<EncodedDataset> OpenDatasetAsync(RunRecord run, CancellationToken ct)
    {
        var headerBlob = BlobLayout.DatasetHeader(run.RunId);
        DatasetHeader header;
        try
        {
            header = await ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, headerBlob, BinaryFormat.ReadHeader, ct)
                     ?? throw new InvalidOperationException($"run {run.RunId} has no encoded dataset yet");
            header = await VocabularySlices.WithValuesAsync(ctx.Blobs, run.RunId, header, ct);
        }
        catch (Exception e) when (IsCorrupt(e))
        {
            throw new CorruptDatasetException($"{BlobLayout.Artifacts}/{headerBlob} cannot be read ({e.Message.Split('\n', 2)[0]})");
        }
        var parts = await RemapStage.ListPartsAsync(ctx.Blobs, run, ct);
        ExampleParts Parts(Func<int, string> blob, Func<RemapStage.PartCounts, int> count) => new(parts.Select(count).ToList(), i =>
        {
            var name = blob(parts[i].Index);
            try
            {
                // ExampleParts' loader is synchronous: the trainer's prefetch thread calls it, one part at a time
                return ctx.Blobs.TryReadAsync(BlobLayout.Artifacts, name, s => BinaryFormat.ReadExamples(s, header.Schema), ct).GetAwaiter().GetResult()
                       ?? throw new CorruptDatasetException($"{BlobLayout.Artifacts}/{name} is missing");
            }
            catch (Exception e) when (IsCorrupt(e))
            {
                throw new CorruptDatasetException($"{BlobLayout.Artifacts}/{name} cannot be read ({e.Message.Split('\n', 2)[0]})");
            }
        });
        return new EncodedDataset
        {
            Header = header,
            Train = Parts(i => BlobLayout.TrainPart(run.RunId, i), p => p.Train),
            Eval = Parts(i => BlobLayout.EvalPart(run.RunId, i), p => p.Eval),
        };
    }

    /// <summary>The run's header or one of its example parts cannot be read: retrying will not help.</summary>
    private sealed class CorruptDatasetException(string message) : Exception(message);

    /// <summary>The full model of the run behind the currently published version (null when none is published or its run kept none).</summary>
    private static async Task<string?> DownloadPublishedModelAsync(PublishedModel? published, string directory, CancellationToken ct) =>
        published is not null && await published.DownloadTrainedModelAsync(directory, ct) ? directory : null;

    /// <summary>
    /// The published version of the run's model, or null when there is none — or when latest.json names a
    /// manifest that is gone (damage, never a race: latest.json moves only after its manifest is written).
    /// That case is logged as an error and treated as "nothing published", so the run trains from scratch,
    /// is not compared, and its publish writes a readable latest.json again; refusing would block every
    /// retrain of the model until someone repaired the blob by hand.
    /// </summary>
    private async Task<PublishedModel?> OpenPublishedAsync(RunRecord run, CancellationToken ct)
    {
        try
        {
            return await PublishedModel.TryOpenAsync(ctx.Blobs, run.Model, ct);
        }
        catch (InvalidDataException e)
        {
            ctx.Logger.LogError("train: run {Run}: the published version of {Model} cannot be read ({Problem}); treated as none published", run.RunId, run.Model, e.Message);
            return null;
        }
    }

    /// <summary>
    /// The candidate passes unless its Recall@K (all) is below the published model's by more than the allowed
    /// drop — both measured on this run's hold-out and corpus: the published model's full bundle (kept with
    /// its run) is evaluated on them (<see cref="IModelTrainer.RecallOfEarlierModel"/>). Its figure on its own
    /// version is recorded beside, but never compared: another hold-out and corpus (a larger corpus alone
    /// lowers Recall@K) made growing datasets fail the gate and shrinking ones pass.
    /// </summary>
    private async Task<GateResult> GateAsync(RunRecord run, EncodedDataset data, MetricsReport candidate, string publishedDirectory, CancellationToken ct)
    {
        var k = ctx.Options.GateK.ToString(CultureInfo.InvariantCulture);
        var mine = candidate.Recall["all"].GetValueOrDefault(k);
        var latest = await OpenPublishedAsync(run, ct);
        if (latest is null) return new GateResult(true, "no model is published for this dataset yet", mine, null);
        double? own = latest.Manifest.Recall is { } r && r.TryGetValue("all", out var all) && all.TryGetValue(k, out var v) ? v : null;
        var bundle = await DownloadPublishedModelAsync(latest, publishedDirectory, ct);
        // The same held-out pairs the candidate was evaluated on (an evenly spaced sample when it was capped).
        var pairs = candidate.Examples.Evaluated ?? 0;
        var sameData = bundle is null ? null : await Task.Run(() => trainer.RecallOfEarlierModel(data, bundle, (int)pairs, ct), ct);
        if (sameData is null || !sameData.TryGetValue("all", out var published) || !published.TryGetValue(k, out var theirs))
            return new GateResult(true, $"published version {latest.Version} could not be evaluated on this run's data (its model is not kept); not compared", mine, null, own);
        var passed = mine >= theirs - ctx.Options.GateMaxRecallDrop;
        var reason = $"Recall@{k} on this run's hold-out: {mine:F4} vs published {latest.Version} {theirs:F4} (allowed drop {ctx.Options.GateMaxRecallDrop})" +
                     (own is { } o ? $"; {latest.Version} measured {o:F4} on its own data" : "");
        return new GateResult(passed, reason, mine, theirs, own);
    }
}
