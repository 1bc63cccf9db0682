using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SslRec.Core.Options;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Messages;
using SslRec.Pipeline.Runs;
using SslRec.Pipeline.Stages;
using SslRec.Pipeline.Storage;
using SslRec.Worker;

namespace SslRec.Cli.Commands;

/// <summary>
/// host, drop, status, retrain, train-worker, recommend. Settings come from environment variables, read
/// as the Functions host reads its app settings (<see cref="PipelineSettings"/>): AzureWebJobsStorage as a
/// connection string, or AzureWebJobsStorage__accountName with `az login` / a managed identity; with
/// neither, the local emulator (UseDevelopmentStorage=true: Azurite on 127.0.0.1:10000/10001).
/// </summary>
public static class PipelineCommands
{
    /// <summary>The context of a one-shot command: storage that cannot be reached fails it within seconds, in one line.</summary>
    public static PipelineContext Context() => PipelineContext.Create(PipelineSettings.FromEnvironment(), use: StorageClientUse.Command);

    private static readonly Option<string> Device = new("--device") { Description = "Training device: auto, cpu or cuda", DefaultValueFactory = _ => "auto" };

    public static Command Host()
    {
        var noTrain = new Option<bool>("--no-train") { Description = "Leave the training queue to `sslrec train-worker` (as in Azure)" };
        var scan = new Option<int>("--scan-seconds") { Description = "How often to look for _READY datasets no run has claimed (0: only at start)", DefaultValueFactory = _ => 30 };
        var stages = new Option<string?>("--stages") { Description = "Only these stages, comma-separated (e.g. shard-map,remap; default: all), as a Functions app scales each function on its own" };
        var command = new Command("host", "Run every pipeline stage under the WebJobs queue-trigger engine until Ctrl+C") { noTrain, scan, Device, stages, LocalStorage.FolderOption };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var settings = PipelineSettings.FromEnvironment();
            var ctx = PipelineContext.Create(settings);
            await ctx.EnsureInfrastructureAsync(cancel);
            IModelTrainer? trainer = parse.GetValue(noTrain) ? null : new TorchModelTrainer(device: parse.GetValue(Device)!, log: Console.Error.WriteLine);
            var only = parse.GetValue(stages)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            var every = parse.GetValue(scan);
            Console.Error.WriteLine("sslrec host: running (Ctrl+C stops; running work finishes or its message becomes visible again)");
            // The host rides out storage outages (its clients retry for ~14 minutes, one line when storage goes
            // away and one when it is back); a listener that gives up after that restarts the stages, never the process.
            await HostSupervisor.RunAsync(
                () => LocalPipelineHost.Build(settings, trainer, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Information, stages: only),
                running => UnclaimedDropScanLoop.RunAsync(ctx, TimeSpan.FromSeconds(every), Console.Error.WriteLine, running), Console.Error.WriteLine, cancel);
        }));
        return command;
    }

    public static Command Drop()
    {
        var folder = new Argument<string>("folder") { Description = "Dataset folder (schema.json + data files)" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset (and model) name", Required = true };
        var version = new Option<string?>("--version") { Description = "Version name (default: a UTC timestamp)" };
        var command = new Command("drop", "Upload a dataset to blob storage, mark it _READY and enqueue its BlobCreated event") { folder, dataset, version, LocalStorage.FolderOption };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var ctx = Context();
            await ctx.EnsureInfrastructureAsync(cancel);
            var (name, v, run) = await DatasetDrop.UploadAsync(ctx, parse.GetValue(folder)!, parse.GetValue(dataset)!, parse.GetValue(version), ct: cancel);
            Console.WriteLine($"dropped {BlobLayout.Datasets}/{name}/{v}/ (run {run})");
        }));
        return command;
    }

    public static Command Status()
    {
        var run = new Option<string?>("--run") { Description = "Show one run in detail" };
        var command = new Command("status", "List runs, or show one run's stages, timings, training progress and failures") { run, LocalStorage.FolderOption };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var ctx = Context();
            var id = parse.GetValue(run);
            if (id is not null)
            {
                var record = await ctx.Runs.GetAsync(id, cancel) ?? throw new ArgumentException($"--run: no run '{id}'");
                RunReport.PrintDetails(record, Console.Out);
                if (await new RunWatchdog(ctx).DescribeWaitAsync(record, cancel) is { } waiting) Console.WriteLine($"waiting  for {waiting}");
                return;
            }
            var runs = await ctx.Runs.ListAsync(cancel);
            if (runs.Count == 0) Console.WriteLine("no runs yet");
            foreach (var r in runs) Console.WriteLine(RunReport.Line(r));
            var rejected = await PoisonRecorder.ListAsync(ctx, cancel);
            if (rejected.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine($"rejected messages ({rejected.Count}; details in {BlobLayout.Artifacts}/{PoisonRecorder.Prefix}):");
                foreach (var p in rejected.Take(20)) Console.WriteLine("  " + RunReport.Rejected(p));
            }
        }));
        return command;
    }

    public static Command Retrain()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset whose newest complete version to train on", Required = true };
        var set = new Option<string[]>("--set") { Description = "Training option override, named as `sslrec train` names it, e.g. --set alpha=0.3 --set ssl=none --set batch-size=512 --set hidden=256,128", AllowMultipleArgumentsPerToken = true };
        var warm = new Option<bool>("--warm-start") { Description = "Start from the currently published model's weights" };
        var command = new Command("retrain", "Enqueue a retrain message (runs the flow again on the newest dataset version)") { dataset, set, warm, LocalStorage.FolderOption };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            var overrides = new JsonObject();
            foreach (var kv in parse.GetValue(set) ?? [])
            {
                var (name, value) = TrainingOverrides.ParseAssignment(kv); // typed JSON under one spelling, whatever the user typed
                if (!overrides.TryAdd(name, value)) throw new ArgumentException($"--set '{kv}': {name} is set twice");
            }
            DatasetNames.Validate(parse.GetValue(dataset)!, "--dataset");
            TrainingOverrides.Apply(new TrainingOptions(), overrides); // reject bad overrides now (exit code 2, one line), not in the worker
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var ctx = Context();
            await ctx.EnsureInfrastructureAsync(cancel);
            var suffix = DateTime.UtcNow.ToString("yyyyMMddHHmmss");
            await ctx.Bus.SendAsync(QueueNames.Retrain, new RetrainMessage { RunSuffix = suffix, Dataset = parse.GetValue(dataset)!, Overrides = overrides.Count > 0 ? overrides : null, WarmStart = parse.GetValue(warm) }, cancel);
            Console.WriteLine($"retrain of {parse.GetValue(dataset)} enqueued (run suffix {suffix})");
        }));
        return command;
    }

    public static Command TrainWorkerCommand()
    {
        var loop = new Option<bool>("--loop") { Description = "Keep taking messages instead of exiting after one" };
        var training = TrainingOptionsCli.For(nameof(TrainingOptions.MaxSteps)); // for measurements and smoke tests
        var command = new Command("train-worker", "Take one training message, train (resuming from blob checkpoints) to the end — or to the execution's time budget, then hand the run to a continuation message — evaluate, delete it, exit") { loop, Device, LocalStorage.FolderOption };
        training.AddTo(command);
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async Task<int> () =>
        {
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var (ctx, worker) = TrainWorker.Create(PipelineSettings.EnvironmentConfiguration(), new TorchModelTrainer(training.Read(parse), parse.GetValue(Device)!, Console.Error.WriteLine),
                StderrLogger("train-worker"));
            await ctx.EnsureInfrastructureAsync(cancel); // locally only: with an identity (the GPU job) queues exist and may not be created
            var failed = false;
            do
            {
                var outcome = await worker.RunOnceAsync(cancel);
                Console.Error.WriteLine($"train-worker: {outcome}");
                if (outcome == TrainWorker.Outcome.NoMessage && parse.GetValue(loop)) await Task.Delay(2000, cancel);
                failed |= outcome == TrainWorker.Outcome.Failed;
            } while (parse.GetValue(loop));
            return failed ? 1 : 0; // a failed attempt leaves its message for the next execution
        }));
        return command;
    }

    /// <summary>One line per event on stderr (a container's log stream); the SDK's expected 404/409 warnings muted.</summary>
    private static Microsoft.Extensions.Logging.ILogger StderrLogger(string category) =>
        Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
                .AddFilter("Azure.Core", Microsoft.Extensions.Logging.LogLevel.Error)
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .AddConsole(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace))
            .CreateLogger(category);

    public static Command Recommend()
    {
        var model = new Option<string>("--model") { Description = "Published model (dataset) name", Required = true };
        var query = new Option<string>("--query") { Description = "Query features, e.g. 'user_id=u00001,history=b003|b010'", Required = true };
        var k = new Option<int>("-k") { Description = "How many items", DefaultValueFactory = _ => 10 };
        var compact = new Option<bool>("--compact") { Description = "Score against the product-quantized item embeddings (items.pq) instead of items.f32" };
        var command = new Command("recommend", "Top items for a query from the latest published embeddings and query tower") { model, query, k, compact, LocalStorage.FolderOption };
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(async () =>
        {
            using var storage = await LocalStorage.OpenAsync(parse.GetValue(LocalStorage.FolderOption), cancel);
            var found = await new Recommender(Context().Blobs, Recommender.DefaultCache)
                .RecommendAsync(parse.GetValue(model)!, parse.GetValue(query)!, parse.GetValue(k), parse.GetValue(compact), cancel);
            Console.WriteLine($"{found.Model} version {found.Version} ({found.ItemCount:N0} items{(found.Compact ? ", product-quantized" : "")})");
            var rank = 0;
            foreach (var item in found.Items)
                Console.WriteLine($"{++rank,3}. {item.Key,-20} {item.Score:F4}");
        }));
        return command;
    }
}
