using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Configuration;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;
using SslRec.Training;
using SslRec.Worker;

namespace SslRec.Cli.Commands;

/// <summary>
/// `sslrec demo`, the product's main job locally: Azurite (started if none is running, stopped afterwards),
/// a generated dataset dropped into blob storage, every stage under the WebJobs host until publication,
/// then the evaluation table, the stage timings and the manifest.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var interactions = new Option<int>("--interactions") { Description = "Size of the generated dataset", DefaultValueFactory = _ => new SyntheticOptions().Interactions };
        var items = new Option<int>("--items") { Description = "Catalog size", DefaultValueFactory = _ => new SyntheticOptions().Items };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => new TrainingOptions().Epochs };
        var ssl = new Option<SslMode>("--ssl") { Description = "SSL augmentation", DefaultValueFactory = _ => new TrainingOptions().Ssl };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset / model name", DefaultValueFactory = _ => "demo" };
        var command = new Command("demo", "Run the whole local pipeline on Azurite with a generated dataset") { interactions, items, epochs, ssl, device, dataset };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            var clock = Stopwatch.StartNew();
            void Say(string s) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {s}");

            using var azurite = await EnsureAzuriteAsync(Say);
            var storage = azurite is null ? new StorageSettings { ConnectionString = StorageSettings.DevelopmentStorage }
                                          : new StorageSettings { ConnectionString = azurite.ConnectionString };
            var ctx = PipelineContext.Create(storage);
            await ctx.EnsureInfrastructureAsync(cancel);

            var data = Path.Combine(Path.GetTempPath(), "sslrec-demo-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = parse.GetValue(interactions), Items = parse.GetValue(items) });
                Say($"generated {parse.GetValue(interactions):N0} interactions over {parse.GetValue(items):N0} items");
                var (name, version, runId) = await DatasetDrop.UploadAsync(ctx, data, parse.GetValue(dataset)!, ct: cancel);
                Say($"dropped {BlobLayout.Datasets}/{name}/{version}/ and its _READY event");

                var trainer = new TorchModelTrainer(new TrainingOptions { Epochs = parse.GetValue(epochs), Ssl = parse.GetValue(ssl) }, parse.GetValue(device)!);
                using var host = LocalPipelineHost.Build(PipelineSettings.Local(storage, ctx.Options), trainer);
                await host.StartAsync(cancel);
                Say("WebJobs host started (queue settings from host.json)");
                var lastState = (RunState)(-1);
                var lastStep = -1;
                var run = await RunWatcher.WaitAsync(ctx.Runs, runId, TimeSpan.FromMinutes(30), r =>
                {
                    if (r.State != lastState)
                    {
                        lastState = r.State;
                        Say($"run {r.RunId}: {r.State.ToString().ToLowerInvariant()}" + (r.State == RunState.Mapping ? $" ({r.Shards.Count} map shards)" : ""));
                    }
                    if (r.Training is { } t && t.Step != lastStep)
                    {
                        lastStep = t.Step;
                        Say($"  training step {t.Step}/{t.TotalSteps}, loss {t.Loss:F4}, {t.ExamplesPerSecond:N0} examples/s");
                    }
                }, cancel);
                await host.StopAsync(CancellationToken.None);

                Console.WriteLine();
                RunReport.PrintDetails(run, Console.Out);
                if (run.State != RunState.Published) throw new InvalidOperationException($"the run ended {run.State}");
                var manifest = await ctx.Blobs.TryDownloadAsync(BlobLayout.Embeddings, BlobLayout.Manifest(run.Model, run.ModelVersion), cancel);
                Console.WriteLine();
                Console.WriteLine($"published {BlobLayout.Embeddings}/{BlobLayout.Manifest(run.Model, run.ModelVersion)}:");
                Console.WriteLine(manifest);
                Console.WriteLine($"demo finished in {clock.Elapsed.TotalSeconds:F1} s; try: sslrec recommend --model {run.Model} --query 'user_id=u00001'" +
                                  (azurite is null ? "" : " (with Azurite running)"));
            }
            finally
            {
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
            }
        }));
        return command;
    }

    /// <summary>Uses an Azurite already listening on 10000/10001, else starts one (default ports when free).</summary>
    private static async Task<AzuriteProcess?> EnsureAzuriteAsync(Action<string> say)
    {
        if (AzuriteProcess.IsListening())
        {
            say("using the storage emulator already running on 127.0.0.1:10000/10001");
            return null;
        }
        var free = !AzuriteProcess.InUse(10000) && !AzuriteProcess.InUse(10001);
        var azurite = await AzuriteProcess.StartAsync(free ? 10000 : 0, free ? 10001 : 0, inMemory: false);
        say($"started Azurite on 127.0.0.1:{azurite.BlobPort}/{azurite.QueuePort} (stopped when the demo ends)");
        return azurite;
    }
}
