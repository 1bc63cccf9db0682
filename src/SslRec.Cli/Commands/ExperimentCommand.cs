using System.CommandLine;
using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Experiments;
using SslRec.Training;

namespace SslRec.Cli.Commands;

public static class ExperimentCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset folder", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder (report.md, results.csv, PNG plots, cells/)", Required = true };
        var grid = new Option<string>("--grid") { Description = "quick (about 30 min for the demo data on 2 cores) or paper", DefaultValueFactory = _ => "quick" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per configuration (the sweeps of the quick grid use the first)", DefaultValueFactory = _ => 3 };
        var training = TrainingOptionsCli.For(nameof(TrainingOptions.Epochs)); // the base every cell of the grid varies
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var command = new Command("experiment", "The paper's studies (methods, data sparsity, sensitivity, CFM vs RFM and SSL sampling) with a report and plots; re-running skips finished runs")
        {
            data, output, grid, seeds, device,
        };
        training.AddTo(command);
        command.SetAction((parse, cancel) => CommandRunner.RunAsync(() =>
        {
            var outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var schema = DatasetSchema.Load(Path.Combine(parse.GetValue(data)!, DatasetSchema.FileName));
            var entries = ExperimentGrid.Build(parse.GetValue(grid)!, parse.GetValue(seeds), training.Read(parse), schema.HasTies);
            var cells = entries.Select(e => e.Cell.Key).Distinct().Count();
            Console.Error.WriteLine($"experiment: {cells} runs ({entries.Count} study entries); finished runs in {Path.Combine(outDir, "cells")} are reused");
            var runner = new ExperimentRunner(parse.GetValue(data)!, outDir, TorchSetup.ResolveDevice(parse.GetValue(device)!), Console.Error.WriteLine);
            var results = runner.Run(entries, cancel);
            var any = results.First(r => r.Cell.DataFraction == 1).Metrics;
            var description = $"{parse.GetValue(data)} ({any.Examples.Train:N0} training / {any.Examples.Eval:N0} held-out pairs at full data, {any.CorpusSize:N0} items)";
            ExperimentReport.WriteCsv(Path.Combine(outDir, "results.csv"), results);
            var report = ExperimentReport.Write(Path.Combine(outDir, "report.md"), parse.GetValue(grid)!, entries, results, description);
            ExperimentPlots.Write(outDir, entries, results);
            Console.WriteLine(report);
            Console.WriteLine($"wrote {Path.Combine(outDir, "report.md")}, results.csv and plots");
            return Task.CompletedTask;
        }));
        return command;
    }
}
