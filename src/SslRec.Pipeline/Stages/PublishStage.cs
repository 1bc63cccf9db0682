using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using SslRec.Core.Artifacts;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// Publish: copies the candidate to embeddings/{model}/{version}/ (items.f32, ids.txt, query tower,
/// metrics), writes manifest.json with every file's SHA-256 last, then moves latest.json to this version
/// with a conditional write (only forward: a late, older run never replaces a newer one), then sends one
/// "embeddings published" notification. Each step is skipped when already done, so a repeated message
/// publishes nothing twice; the notification is claimed with a marker blob before it is sent.
/// </summary>
public sealed class PublishStage(PipelineContext ctx)
{
    public const string Name = "publish";

    public async Task HandleAsync(PublishMessage m, CancellationToken ct = default)
    {
        var run = await ctx.Runs.RequireAsync(m.RunId, ct);
        if (run.Gate?.Passed != true || run.State is RunState.Failed or RunState.Rejected)
        {
            ctx.Logger.LogWarning("publish: run {Run} is {State} and did not pass the gate; nothing to publish", m.RunId, run.State);
            return;
        }
        if (run.State == RunState.Published) return; // a repeated request
        await using var held = await RunLock.TryAcquireAsync(ctx.Blobs, m.RunId, Name, ct);
        if (held is null)
        {
            ctx.Logger.LogInformation("publish: run {Run} is being published by another message; this one is done", m.RunId);
            return;
        }
        await ctx.Runs.StageStartedAsync(m.RunId, Name, ct);
        await ctx.Runs.UpdateAsync(m.RunId, r => { if (r.State == RunState.Evaluated) r.State = RunState.Publishing; }, ct);

        var manifestBlob = BlobLayout.Manifest(run.Model, run.ModelVersion);
        var manifest = await ctx.Blobs.TryReadJsonAsync<Manifest>(BlobLayout.Embeddings, manifestBlob, ct)
                       ?? await CopyCandidateAsync(run, ct);
        await MoveLatestAsync(run, manifest, ct);
        await NotifyOnceAsync(run, manifest, ct);
        await ctx.Runs.StageFinishedAsync(m.RunId, Name, r => r.State = RunState.Published, ct);
        ctx.Logger.LogInformation("publish: {Model} version {Version} published ({Count} items)", run.Model, run.ModelVersion, manifest.Count);
    }

    private async Task<Manifest> CopyCandidateAsync(RunRecord run, CancellationToken ct)
    {
        var prefix = BlobLayout.CandidatePrefix(run.RunId);
        // model/ (both towers, for warm starts) stays with the run; everything else is published.
        var files = (await ctx.Blobs.ListAsync(BlobLayout.Artifacts, prefix, ct)).Where(f => ModelOutput.IsPublished(f.Name[prefix.Length..])).ToList();
        if (files.Count == 0) throw new InvalidOperationException($"run {run.RunId} has no candidate files to publish");
        var manifest = new Manifest
        {
            Model = run.Model, Version = run.ModelVersion, DatasetVersion = run.DatasetVersion, RunId = run.RunId,
            PublishedAt = DateTimeOffset.UtcNow, RunCreatedAt = run.CreatedAt, Recall = run.Recall,
        };
        foreach (var f in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var relative = f.Name[prefix.Length..];
            var source = ctx.Blobs.Blob(BlobLayout.Artifacts, f.Name);
            await using var read = await source.OpenReadAsync(cancellationToken: ct);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var hashing = new HashingStream(read, sha);
            await ctx.Blobs.UploadAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix(run.Model, run.ModelVersion) + relative, hashing, ct);
            manifest.Files[relative] = new ManifestFile(Convert.ToHexStringLower(sha.GetHashAndReset()), f.Properties.ContentLength ?? 0);
        }
        if (manifest.Files.TryGetValue(ModelOutput.Ids, out var ids) && manifest.Files.TryGetValue(ModelOutput.Vectors, out var vectors))
        {
            // counted as it streams: at millions of items a string per id would be the stage's largest allocation
            manifest.Count = (await ctx.Blobs.TryReadAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix(run.Model, run.ModelVersion) + ModelOutput.Ids, s => new StrongBox<int>(CountLines(s)), ct))?.Value
                             ?? throw new InvalidOperationException($"{ModelOutput.Ids} vanished while {run.Model}/{run.ModelVersion} was published");
            manifest.Dims = manifest.Count == 0 ? 0 : (int)(vectors.Bytes / 4 / manifest.Count);
        }
        // The manifest is written last: its presence says every file above is complete.
        await ctx.Blobs.WriteJsonAsync(BlobLayout.Embeddings, BlobLayout.Manifest(run.Model, run.ModelVersion), manifest, ct);
        return manifest;
    }

    /// <summary>Non-empty lines of a UTF-8 text ('\n' or "\r\n" line ends).</summary>
    private static int CountLines(Stream text)
    {
        var buffer = new byte[1 << 16];
        var lines = 0;
        var content = false;
        int n;
        while ((n = text.Read(buffer)) > 0)
            foreach (var b in buffer.AsSpan(0, n))
            {
                if (b == (byte)'\n')
                {
                    if (content) lines++;
                    content = false;
                }
                else if (b != (byte)'\r') content = true;
            }
        return content ? lines + 1 : lines;
    }

    private async Task MoveLatestAsync(RunRecord run, Manifest manifest, CancellationToken ct)
    {
        var blob = ctx.Blobs.Blob(BlobLayout.Embeddings, BlobLayout.Latest(run.Model));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            LatestPointer? current = null;
            var conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                var existing = await blob.DownloadContentAsync(ct);
                current = existing.Value.Content.ToObjectFromJson<LatestPointer>(BlobStore.Json);
                conditions = new BlobRequestConditions { IfMatch = existing.Value.Details.ETag };
            }
            catch (RequestFailedException e) when (e.Status == 404) { }
            if (current is not null && (current.Version == manifest.Version || current.RunCreatedAt > manifest.RunCreatedAt)) return;
            var pointer = new LatestPointer
            {
                Model = run.Model, Version = manifest.Version, RunCreatedAt = manifest.RunCreatedAt, UpdatedAt = DateTimeOffset.UtcNow,
                Manifest = BlobLayout.Manifest(run.Model, manifest.Version),
            };
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(pointer, BlobStore.Json), new BlobUploadOptions { Conditions = conditions }, ct);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412) { }
        }
        throw new InvalidOperationException($"could not update {BlobLayout.Embeddings}/{BlobLayout.Latest(run.Model)}: too many concurrent writers");
    }

    private async Task NotifyOnceAsync(RunRecord run, Manifest manifest, CancellationToken ct)
    {
        var marker = BlobLayout.Notified(run.Model, manifest.Version);
        var existing = await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, marker, ct);
        if (existing?.ToString() == "sent") return;
        // Claim first (a concurrent duplicate stops here), then send, then mark sent. A crash between claim
        // and "sent" leaves "sending", and the retry sends again: at least once, with the Service Bus
        // message id (model/version) letting the topic drop the repeat.
        if (existing is null && !await ctx.Blobs.TryCreateAsync(BlobLayout.Embeddings, marker, BinaryData.FromString("sending"), ct)) return;
        await ctx.Notifier.SendAsync(new PublishedNotification
        {
            Model = run.Model,
            Version = manifest.Version,
            DatasetVersion = manifest.DatasetVersion,
            ManifestUri = ctx.Blobs.Blob(BlobLayout.Embeddings, BlobLayout.Manifest(run.Model, manifest.Version)).Uri.ToString(),
            Recall = manifest.Recall ?? new(),
        }, ct);
        await ctx.Blobs.UploadAsync(BlobLayout.Embeddings, marker, BinaryData.FromString("sent"), ct);
    }
}
