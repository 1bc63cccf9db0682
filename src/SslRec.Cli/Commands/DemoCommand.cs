using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Storage;
using SslRec.Training;
using SslRec.Worker;

namespace SslRec.Cli.Commands;

/// <summary>
/// `sslrec demo`, the product's main job locally: Azurite (the one running on 127.0.0.1:10000, else one
/// started on the folder --storage-folder, .demo/storage by default, and stopped afterwards with its data
/// kept), a generated dataset dropped into blob storage, every stage under the WebJobs host until
/// publication, then the evaluation table, the stage timings, the manifest and the commands that use the
/// published model next (they find the data in the same folder).
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var interactions = new Option<int>("--interactions") { Description = "Size of the generated dataset", DefaultValueFactory = _ => new SyntheticOptions().Interactions };
        var items = new Option<int>("--items") { Description = "Catalog size", DefaultValueFactory = _ => new SyntheticOptions().Items };
        var training = TrainingOptionsCli.For(nameof(TrainingOptions.Epochs), nameof(TrainingOptions.Ssl));
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset / model name", DefaultValueFactory = _ => "demo" };
        var folder = new Option<string?>("--storage-folder")
        {
            Description = $"Where the demo's Azurite keeps its data, for the commands after it (default {DefaultFolder}, unless an Azurite already runs on 127.0.0.1:10000)",
        };
        var command = new Command("demo", "Run the whole local pipeline on Azurite with a generated dataset") { interactions, items };
        training.AddTo(command);
        foreach (var option in new Option[] { device, dataset, folder }) command.Add(option);
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            var clock = Stopwatch.StartNew();
            void Say(string s) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {s}");
            var options = training.Read(parse); // validated before anything starts, not when the run reaches training

            using var local = await OpenStorageAsync(parse.GetValue(folder), Say, cancel);
            var storage = new StorageSettings { ConnectionString = local?.ConnectionString ?? StorageSettings.DevelopmentStorage };
            var ctx = PipelineContext.Create(storage);
            await ctx.EnsureInfrastructureAsync(cancel);

            var data = Path.Combine(Path.GetTempPath(), "sslrec-demo-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = parse.GetValue(interactions), Items = parse.GetValue(items) });
                Say($"generated {parse.GetValue(interactions):N0} interactions over {parse.GetValue(items):N0} items");
                var (name, version, runId) = await DatasetDrop.UploadAsync(ctx, data, parse.GetValue(dataset)!, ct: cancel);
                Say($"dropped {BlobLayout.Datasets}/{name}/{version}/ and its _READY event");

                var trainer = new TorchModelTrainer(options, parse.GetValue(device)!);
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
                Console.WriteLine($"demo finished in {clock.Elapsed.TotalSeconds:F1} s");
                Console.WriteLine();
                foreach (var line in NextSteps(run.Model, local)) Console.WriteLine(line);
            }
            finally
            {
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
            }
        }));
        return command;
    }

    public const string DefaultFolder = ".demo/storage";

    /// <summary>
    /// The Azurite already listening on 10000/10001 when no folder is asked for (null: use it as configured),
    /// else the one serving the folder (started now on free ports: taking 10000/10001 would make it the
    /// emulator of anything else started meanwhile, which loses it when the demo ends).
    /// </summary>
    private static async Task<LocalStorage?> OpenStorageAsync(string? folder, Action<string> say, CancellationToken ct)
    {
        if (folder is null && AzuriteProcess.IsListening())
        {
            say("using the storage emulator already running on 127.0.0.1:10000/10001");
            return null;
        }
        var local = (await LocalStorage.OpenAsync(folder ?? DefaultFolder, ct))!;
        say(local.Started
            ? $"started Azurite on 127.0.0.1:{local.BlobPort}/{local.QueuePort}, data in {local.Folder} (kept when the demo ends)"
            : $"using the Azurite that serves {local.Folder} (127.0.0.1:{local.BlobPort}/{local.QueuePort})");
        return local;
    }

    /// <summary>Commands that work after the demo has ended, exactly as printed (checked by a test that runs them).</summary>
    public static IEnumerable<string> NextSteps(string model, LocalStorage? local)
    {
        var where = local is null ? "" : $" --storage-folder {Quote(local.Folder)}";
        yield return local is null
            ? "next (the data is in the Azurite on 127.0.0.1:10000, while it runs):"
            : $"next (the data is kept in {local.Folder}; each command starts Azurite on it unless one serves it already):";
        yield return $"  sslrec recommend --model {model} --query 'user_id=u00001' -k 5{where}";
        yield return $"  sslrec status{where}";
        yield return $"  sslrec retrain --dataset {model} --set epochs=2{where}   # then: sslrec host{where}";
        yield return $"where sslrec is `dotnet run --project src/SslRec.Cli -c Release --` from the repository root{(Environment.ProcessPath is { } exe && Path.GetFileNameWithoutExtension(exe) == "sslrec" ? $", or {exe}" : "")}";
    }

    private static string Quote(string path) => path.All(c => char.IsLetterOrDigit(c) || c is '/' or '.' or '-' or '_') ? path : $"'{path.Replace("'", "'\\''")}'";
}
