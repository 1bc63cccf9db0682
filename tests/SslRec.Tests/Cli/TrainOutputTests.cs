using SslRec.Cli.Commands;
using SslRec.Pipeline.Runs;
using SslRec.Training.Loop;

namespace SslRec.Tests.Cli;

[Collection("azurite")] // redirects the console, as the other CLI tests do: never in parallel with them
public class TrainOutputTests
{
    [Fact]
    public void A_max_steps_run_prints_the_steps_and_examples_it_ran_and_a_capped_evaluation_says_how_many_pairs()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        Assert.Equal(0, CliRunner.Run("generate", "--out", data, "--interactions", "3000", "--items", "100", "--seed", "4").Code);
        var train = CliRunner.Run("train", "--data", data, "--out", dir.Sub("out"), "--ssl", "none", "--batch-size", "256", "--embedding-dim", "8",
            "--hidden", "16", "--output-dim", "8", "--device", "cpu", "--max-steps", "3", "--max-eval-queries", "50");
        Assert.True(train.Code == 0, train.Err);

        // 2,7xx training rows in batches of 256: 11 steps per epoch, 88 for 8 epochs; 3 run
        Assert.Matches(@"training on CPU: 3 steps \(--max-steps 3; 8 epochs would be \d\d steps of \d\d/epoch\)", train.Err);
        Assert.Matches(@"trained 3 steps, 768 examples \(0\.\d+ epochs of 2,\d{3}\)", train.Out);
        Assert.Matches(@"\(50 of \d{3} held-out pairs, capped by --max-eval-queries; corpus 100\)", train.Out);
        Assert.Matches(@"memory: about \d+ MiB \([\d,]+ weights, .* available \(", train.Err);
        // stderr is not a terminal here: the last step gets one plain progress line, and no carriage returns
        Assert.Matches(@"(?m)^step 3/3 epoch 1 loss \d+\.\d{4} [\d,]+ ex/s$", train.Err.Replace("\r\n", "\n"));
        Assert.DoesNotContain("\r", train.Err.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Redirected_progress_prints_a_line_every_interval_and_at_the_last_step()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, live: false, logInterval: TimeSpan.FromSeconds(15), clock: () => now);
        for (var step = 1; step <= 100; step++)
        {
            progress.Report(new TrainingProgress(step, 100, 0, 1.5, 1000, 0));
            now += TimeSpan.FromSeconds(1); // a step a second: lines after 15 s, 30 s, … and the last
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["step 16/100", "step 31/100", "step 46/100", "step 61/100", "step 76/100", "step 91/100", "step 100/100"],
            lines.Select(l => string.Join(' ', l.Split(' ').Take(2))));
    }

    [Fact]
    public void Status_tells_a_queued_training_from_one_that_started_and_one_that_is_stepping()
    {
        var run = new RunRecord { RunId = "r", State = RunState.Training };
        Assert.Equal("Training (queued)", RunReport.StateText(run));
        run.Stages["train"] = new StageTiming { StartedAt = DateTimeOffset.UtcNow, Attempts = 1 };
        Assert.Equal("Training (starting)", RunReport.StateText(run));
        run.Training = new TrainingProgressInfo { Step = 120, TotalSteps = 8440 };
        Assert.Equal("Training step 120/8,440", RunReport.StateText(run));
        Assert.Contains("Training step 120/8,440", RunReport.Line(run));
        Assert.Equal("Published", RunReport.StateText(new RunRecord { State = RunState.Published }));
    }
}
