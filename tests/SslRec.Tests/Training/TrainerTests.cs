using SslRec.Core.Checkpoints;
using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class TrainerTests
{
    private static double[,] Mi => MutualInformation.Compute(TinyData.Data.Items, TinyData.Data.ItemTrainCounts);

    [Theory]
    [InlineData(false, EmbeddingOptimizerKind.LazyAdam)]
    [InlineData(true, EmbeddingOptimizerKind.LazyAdam)]
    [InlineData(false, EmbeddingOptimizerKind.RowwiseAdagrad)]
    [InlineData(false, EmbeddingOptimizerKind.Dense)]
    public void Resuming_from_a_checkpoint_gives_the_same_result_as_an_uninterrupted_run(bool streamed, EmbeddingOptimizerKind embeddingOptimizer)
    {
        // streamed: six example parts through a shuffle buffer of a quarter of the data, so the halfway
        // checkpoint falls inside a buffer and the resumed run must find its place in the stream again
        var data = streamed ? TinyData.Parts : TinyData.Data;
        var options = TinyData.Options with
        {
            Epochs = 2, DropoutRate = 0.3, SpreadOut = 0.1, ShuffleBuffer = streamed ? (int)(data.Train.Count / 4) : 1_000_000,
            EmbeddingOptimizer = embeddingOptimizer,
        };
        if (streamed) Assert.True(data.Train.PartCount >= 5, $"{data.Train.PartCount} parts");

        using var full = new Trainer(data, options, CPU, Mi);
        full.Train();

        using var dir = new TempDirectory();
        var store = new LocalCheckpointStore(dir.Path);
        var half = full.State.TotalSteps / 2;
        using (var first = new Trainer(data, options with { MaxSteps = half }, CPU, Mi))
        {
            first.Train(store);
            Assert.Equal(half, first.State.Step);
        }
        using var resumed = new Trainer(data, options, CPU, Mi);
        Assert.True(resumed.TryResume(store));
        Assert.Equal(half, resumed.State.Step);
        resumed.Train(store);

        Assert.Equal(full.State.Step, resumed.State.Step);
        Assert.Equal(full.State.Losses.Select(l => l.Total), resumed.State.Losses.Select(l => l.Total));
        using var a = Embeddings.Encode(full.Model.ItemTower, data.Items, CPU);
        using var b = Embeddings.Encode(resumed.Model.ItemTower, data.Items, CPU);
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-6), $"max difference {(a - b).abs().max().item<float>()}");
    }

    [Fact]
    public void A_training_past_its_suspend_time_checkpoints_the_step_it_reached_and_a_resume_finishes_it_identically()
    {
        var options = TinyData.Options with { Epochs = 1, CheckpointEvery = 5 };
        using var full = new Trainer(TinyData.Data, options, CPU, Mi);
        full.Train();

        using var dir = new TempDirectory();
        var store = new LocalCheckpointStore(dir.Path);
        var executions = 0;
        while (true)
        {
            using var trainer = new Trainer(TinyData.Data, options, CPU, Mi);
            var before = trainer.TryResume(store) ? trainer.State.Step : 0;
            executions++;
            try
            {
                // A suspend time already past: each execution makes exactly one step, then stops.
                trainer.Train(store, suspendAt: DateTimeOffset.UtcNow.AddDays(-1));
            }
            catch (TrainingSuspendedException s)
            {
                Assert.Equal(before + 1, s.Step);
                using var latest = store.OpenLatest(out var saved);
                Assert.NotNull(latest);
                Assert.Equal(s.Step, saved); // the step it reached is checkpointed, not just the last CheckpointEvery
                continue;
            }
            Assert.Equal(full.State.TotalSteps, trainer.State.Step);
            Assert.Equal(full.State.Losses.Select(l => l.Total), trainer.State.Losses.Select(l => l.Total));
            break;
        }
        Assert.Equal(full.State.TotalSteps, executions); // the last step finishes the training instead of suspending it
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_written_with_other_settings()
    {
        using var dir = new TempDirectory();
        var store = new LocalCheckpointStore(dir.Path);
        using (var t = new Trainer(TinyData.Data, TinyData.Options with { MaxSteps = 2 }, CPU, Mi)) t.Train(store);
        using var other = new Trainer(TinyData.Data, TinyData.Options with { Alpha = 0.5 }, CPU, Mi);
        var e = Assert.Throws<InvalidOperationException>(() => other.TryResume(store));
        Assert.Contains("different training settings", e.Message);
        // the same examples in other parts are another stream: the step would not find its batch again
        using var otherParts = new Trainer(TinyData.Parts, TinyData.Options, CPU, Mi);
        Assert.Contains("example parts", Assert.Throws<InvalidOperationException>(() => otherParts.TryResume(store)).Message);
    }

    [Fact]
    public void A_checkpoint_resumes_only_with_the_kind_of_embedding_updates_that_wrote_it()
    {
        static string Magic(LocalCheckpointStore store)
        {
            using var s = store.OpenLatest(out _)!;
            var bytes = new byte[8];
            s.ReadExactly(bytes);
            return System.Text.Encoding.ASCII.GetString(bytes);
        }
        var dense = TinyData.Options with { EmbeddingOptimizer = EmbeddingOptimizerKind.Dense, MaxSteps = 2 };
        var lazy = dense with { EmbeddingOptimizer = EmbeddingOptimizerKind.LazyAdam };
        using var denseDir = new TempDirectory();
        using var lazyDir = new TempDirectory();
        var denseStore = new LocalCheckpointStore(denseDir.Path);
        var lazyStore = new LocalCheckpointStore(lazyDir.Path);
        using (var t = new Trainer(TinyData.Data, dense, CPU, Mi)) t.Train(denseStore);
        using (var t = new Trainer(TinyData.Data, lazy, CPU, Mi)) t.Train(lazyStore);

        // dense training writes format 1, as before row-wise updates existed, and its fingerprint names no
        // embedding optimizer: checkpoints of earlier versions still resume with --embedding-optimizer dense
        Assert.Equal("SSLRECK1", Magic(denseStore));
        Assert.DoesNotContain("EmbeddingOptimizer", dense.Fingerprint());
        Assert.DoesNotContain("EmbeddingLearningRate", dense.Fingerprint());
        Assert.Equal("SSLRECK2", Magic(lazyStore));

        using var lazyTrainer = new Trainer(TinyData.Data, lazy, CPU, Mi);
        Assert.Contains("--embedding-optimizer dense", Assert.Throws<InvalidOperationException>(() => lazyTrainer.TryResume(denseStore)).Message);
        using var denseTrainer = new Trainer(TinyData.Data, dense, CPU, Mi);
        Assert.Contains("row-wise", Assert.Throws<InvalidOperationException>(() => denseTrainer.TryResume(lazyStore)).Message);
        using var adagrad = new Trainer(TinyData.Data, lazy with { EmbeddingOptimizer = EmbeddingOptimizerKind.RowwiseAdagrad }, CPU, Mi);
        Assert.Contains("different training settings", Assert.Throws<InvalidOperationException>(() => adagrad.TryResume(lazyStore)).Message);
        Assert.True(denseTrainer.TryResume(denseStore) && lazyTrainer.TryResume(lazyStore));
        Assert.Equal(2, lazyTrainer.RowWise!.Steps); // the row-wise step count (bias correction) is restored too
    }

    [Fact]
    public void Same_seed_same_model_other_seed_other_model()
    {
        var options = TinyData.Options with { MaxSteps = 5 };
        using var a = new Trainer(TinyData.Data, options, CPU, Mi);
        using var b = new Trainer(TinyData.Data, options, CPU, Mi);
        using var c = new Trainer(TinyData.Data, options with { Seed = 99 }, CPU, Mi);
        a.Train(); b.Train(); c.Train();
        Assert.Equal(a.State.Losses, b.State.Losses);
        Assert.NotEqual(a.State.Losses.Select(l => l.Total), c.State.Losses.Select(l => l.Total));
    }

    [Fact]
    public void Checkpoints_keep_only_the_newest_two()
    {
        using var dir = new TempDirectory();
        var store = new LocalCheckpointStore(dir.Path);
        using var t = new Trainer(TinyData.Data, TinyData.Options with { MaxSteps = 7, CheckpointEvery = 2 }, CPU, Mi);
        t.Train(store);
        Assert.Equal(["ckpt-000000006.bin", "ckpt-000000007.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}
