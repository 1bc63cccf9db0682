using Azure;
using Azure.Storage.Blobs.Models;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Runs;

/// <summary>
/// Run records in blob storage, updated with optimistic concurrency (ETag): concurrent stages of one run
/// (map shards finishing together) never lose each other's updates.
/// </summary>
public sealed class RunStore(BlobStore blobs)
{
    /// <summary>
    /// Creates the record unless one exists; returns false when the run was already claimed. The run is
    /// listed as active (artifacts/active/{run}) first, so the run watchdog sees every run that exists.
    /// </summary>
    public async Task<bool> TryCreateAsync(RunRecord run, CancellationToken ct = default)
    {
        run.CreatedAt = run.UpdatedAt = DateTimeOffset.UtcNow;
        await blobs.TryCreateAsync(BlobLayout.Artifacts, BlobLayout.Active(run.RunId), BinaryData.FromString(run.RunId), ct);
        return await blobs.TryCreateAsync(BlobLayout.Artifacts, BlobLayout.Run(run.RunId), BinaryData.FromObjectAsJson(run, BlobStore.Json), ct);
    }

    /// <summary>The runs listed as active (their records may since have reached a final state: see <see cref="ForgetActiveAsync"/>).</summary>
    public async Task<List<string>> ListActiveAsync(CancellationToken ct = default) =>
        (await blobs.ListAsync(BlobLayout.Artifacts, BlobLayout.ActivePrefix, ct)).Select(b => b.Name[BlobLayout.ActivePrefix.Length..]).ToList();

    public async Task ForgetActiveAsync(string runId, CancellationToken ct = default) =>
        await blobs.Container(BlobLayout.Artifacts).DeleteBlobIfExistsAsync(BlobLayout.Active(runId), cancellationToken: ct);

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken ct = default) =>
        await blobs.TryReadJsonAsync<RunRecord>(BlobLayout.Artifacts, BlobLayout.Run(runId), ct);

    /// <summary>
    /// The run that processed a dropped dataset version: under its id (<see cref="DatasetNames.RunId"/>), or
    /// under the id runs had before ids used '@' — matched by the record's dataset and version, because
    /// that old id ("{dataset}.{version}") does not tell "col.a"/"v1" from "col"/"a.v1".
    /// </summary>
    public async Task<RunRecord?> FindDropRunAsync(string dataset, string version, CancellationToken ct = default) =>
        await GetAsync(DatasetNames.RunId(dataset, version), ct)
        ?? (await GetAsync(DatasetNames.LegacyRunId(dataset, version), ct) is { } old
            && old.Dataset == dataset && old.DatasetVersion == version && old.ModelVersion == version ? old : null);

    public async Task<RunRecord> RequireAsync(string runId, CancellationToken ct = default) =>
        await GetAsync(runId, ct) ?? throw new InvalidOperationException($"run '{runId}' has no record ({BlobLayout.Artifacts}/{BlobLayout.Run(runId)})");

    /// <summary>Read–modify–write with If-Match, retried when another writer got there first.</summary>
    public async Task<RunRecord> UpdateAsync(string runId, Action<RunRecord> change, CancellationToken ct = default) =>
        (await UpdateWhenAsync(runId, r => { change(r); return true; }, ct))!;

    /// <summary>
    /// Like <see cref="UpdateAsync"/>, but writes only when <paramref name="change"/> returns true, and does
    /// nothing when the run has no record; returns the record as written, or null.
    /// </summary>
    public async Task<RunRecord?> TryUpdateAsync(string runId, Func<RunRecord, bool> change, CancellationToken ct = default)
    {
        try
        {
            return await UpdateWhenAsync(runId, change, ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private async Task<RunRecord?> UpdateWhenAsync(string runId, Func<RunRecord, bool> change, CancellationToken ct)
    {
        var blob = blobs.Blob(BlobLayout.Artifacts, BlobLayout.Run(runId));
        for (var attempt = 0; ; attempt++)
        {
            var download = await blob.DownloadContentAsync(ct);
            var run = download.Value.Content.ToObjectFromJson<RunRecord>(BlobStore.Json)!;
            if (!change(run)) return null;
            run.UpdatedAt = DateTimeOffset.UtcNow;
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(run, BlobStore.Json),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = download.Value.Details.ETag } }, ct);
                if (RunWatcher.IsTerminal(run.State)) await ForgetActiveAsync(runId, ct);
                return run;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 50)
            {
                await Task.Delay(Random.Shared.Next(5, 50), ct);
            }
        }
    }

    public Task StageStartedAsync(string runId, string stage, CancellationToken ct = default) => UpdateAsync(runId, r =>
    {
        var t = r.Stages.TryGetValue(stage, out var s) ? s : r.Stages[stage] = new StageTiming();
        t.StartedAt ??= DateTimeOffset.UtcNow;
        t.Attempts++;
    }, ct);

    public Task StageFinishedAsync(string runId, string stage, Action<RunRecord>? also = null, CancellationToken ct = default) => UpdateAsync(runId, r =>
    {
        var t = r.Stages.TryGetValue(stage, out var s) ? s : r.Stages[stage] = new StageTiming();
        t.StartedAt ??= DateTimeOffset.UtcNow;
        t.FinishedAt ??= DateTimeOffset.UtcNow;
        also?.Invoke(r);
    }, ct);

    public Task FailedAsync(string runId, string stage, string message, CancellationToken ct = default) => UpdateAsync(runId, r =>
    {
        r.Failures.Add(new RunFailure(stage, message, DateTimeOffset.UtcNow));
        if (r.Failures.Count > 50) r.Failures.RemoveAt(0);
    }, ct);

    /// <summary>Records a failure that retrying cannot fix (bad data or schema) and marks the run failed.</summary>
    public Task FailRunAsync(string runId, string stage, string message, CancellationToken ct = default) => UpdateAsync(runId, r =>
    {
        r.Failures.Add(new RunFailure(stage, message, DateTimeOffset.UtcNow));
        r.State = RunState.Failed;
    }, ct);

    public async Task<List<RunRecord>> ListAsync(CancellationToken ct = default)
    {
        var runs = new List<RunRecord>();
        foreach (var b in await blobs.ListAsync(BlobLayout.Artifacts, "runs/", ct))
            if (b.Name.EndsWith("/run.json") && await GetAsync(b.Name.Split('/')[1], ct) is { } r) runs.Add(r);
        return runs.OrderBy(r => r.CreatedAt).ToList();
    }
}
