using SslRec.Core.Artifacts;
using SslRec.Pipeline;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;

namespace SslRec.Tests.Pipeline;

/// <summary>
/// The published-model client against the real Azurite, on versions published by the real publish stage
/// (a candidate uploaded as training leaves it, then <see cref="PublishStage"/>): latest.json → manifest →
/// files, each checked against the manifest's SHA-256.
/// </summary>
[Collection("azurite")]
public class PublishedModelTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Reads_the_version_latest_json_names_and_downloads_its_files_as_published()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await PublishAsync(ctx, "shop", "v1", ["a", "b"]);
        await PublishAsync(ctx, "shop", "v2", ["a", "b", "c"]);

        var published = await PublishedModel.OpenAsync(ctx.Blobs, "shop");
        Assert.Equal("v2", published.Version);
        Assert.Equal("shop@v2", published.Manifest.RunId);
        Assert.Equal(3, published.Manifest.Count);
        Assert.True(published.Has(ModelOutput.Vectors));
        Assert.False(published.Has(ModelOutput.Codes));

        await published.DownloadAsync(published.Files(f => f == ModelOutput.Ids || ModelOutput.IsQueryTowerFile(f)), dir.Path);
        Assert.Equal("a\nb\nc\n", File.ReadAllText(Path.Combine(dir.Path, ModelOutput.Ids)));
        Assert.Equal("tower of v2", File.ReadAllText(Path.Combine(dir.Path, ModelOutput.QueryTowerFolder, "tower.bin")));
        Assert.False(File.Exists(Path.Combine(dir.Path, ModelOutput.Vectors))); // only what was asked for
        Assert.Empty(Directory.GetFiles(dir.Path, "*.partial-*", SearchOption.AllDirectories));

        Assert.True(await published.DownloadTrainedModelAsync(dir.Sub("model")));
        Assert.Equal("both towers of v2", File.ReadAllText(Path.Combine(dir.Path, "model", "model.bin")));
    }

    [Fact]
    public async Task Refuses_a_file_whose_checksum_differs_from_the_manifest_naming_the_file()
    {
        using var dir = new TempDirectory();
        var ctx = await azurite.FreshContextAsync();
        await PublishAsync(ctx, "tampered", "v1", ["a", "b"]);
        // the same size, other bytes: only the checksum can tell
        await ctx.Blobs.UploadAsync(BlobLayout.Embeddings, BlobLayout.VersionPrefix("tampered", "v1") + ModelOutput.Ids, BinaryData.FromString("x\ny\n"));

        var published = await PublishedModel.OpenAsync(ctx.Blobs, "tampered");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => published.DownloadAsync([ModelOutput.Vectors, ModelOutput.Ids], dir.Path));
        Assert.Contains($"{BlobLayout.Embeddings}/tampered/v1/{ModelOutput.Ids} does not match the manifest", error.Message);
        Assert.Contains(published.Manifest.Files[ModelOutput.Ids].Sha256, error.Message);
        // the file checked before it is kept; the refused one is neither kept nor left half-written
        Assert.True(File.Exists(Path.Combine(dir.Path, ModelOutput.Vectors)));
        Assert.Equal([Path.Combine(dir.Path, ModelOutput.Vectors)], Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_model_that_was_never_published_is_named_in_the_error()
    {
        var ctx = await azurite.FreshContextAsync();
        Assert.Null(await PublishedModel.TryOpenAsync(ctx.Blobs, "never"));
        var error = await Assert.ThrowsAsync<ModelNotPublishedException>(() => PublishedModel.OpenAsync(ctx.Blobs, "never"));
        Assert.Equal("never", error.Model);
        Assert.Contains($"{BlobLayout.Embeddings}/never/latest.json", error.Message);
    }

    [Fact]
    public async Task A_latest_json_naming_a_missing_manifest_is_reported_as_damage_not_as_nothing_published()
    {
        var ctx = await azurite.FreshContextAsync();
        await PublishAsync(ctx, "gone", "v1", ["a"]);
        await ctx.Blobs.Blob(BlobLayout.Embeddings, BlobLayout.Manifest("gone", "v1")).DeleteAsync();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => PublishedModel.TryOpenAsync(ctx.Blobs, "gone"));
        Assert.Contains($"names {BlobLayout.Embeddings}/{BlobLayout.Manifest("gone", "v1")}, which does not exist", error.Message);
    }

    /// <summary>Publishes a version the way the pipeline does (runs created later publish over earlier ones): a candidate as training uploads it, a run that passed the gate, the publish stage.</summary>
    private static async Task PublishAsync(PipelineContext ctx, string model, string version, string[] keys)
    {
        var runId = DatasetNames.RunId(model, version);
        var candidate = BlobLayout.CandidatePrefix(runId);
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, candidate + ModelOutput.Ids, BinaryData.FromString(string.Concat(keys.Select(k => k + "\n"))));
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, candidate + ModelOutput.Vectors, BinaryData.FromBytes(new byte[keys.Length * 2 * sizeof(float)]));
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, candidate + ModelOutput.QueryTowerFolder + "/tower.bin", BinaryData.FromString($"tower of {version}"));
        await ctx.Blobs.UploadAsync(BlobLayout.Artifacts, candidate + ModelOutput.ModelFolder + "/model.bin", BinaryData.FromString($"both towers of {version}"));
        Assert.True(await ctx.Runs.TryCreateAsync(new RunRecord
        {
            RunId = runId, Dataset = model, DatasetVersion = version, Model = model, ModelVersion = version,
            State = RunState.Evaluated, Gate = new GateResult(true, "test", 0.5, null),
        }));
        await new PublishStage(ctx).HandleAsync(new PublishMessage { RunId = runId });
        Assert.Equal(RunState.Published, (await ctx.Runs.RequireAsync(runId)).State);
    }
}
