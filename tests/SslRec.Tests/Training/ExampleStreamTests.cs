using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Loop;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class ExampleStreamTests
{
    private static readonly FeatureSpec User = new() { Name = "user", Type = FeatureType.Categorical, Side = FeatureSide.Query };

    /// <summary>Parts of the given sizes whose examples are numbered 0, 1, … in part order (item index = number).</summary>
    private static (ExampleParts Parts, int[] Loads) Numbered(params int[] sizes)
    {
        var loads = new int[sizes.Length];
        var parts = new List<EncodedExamples>();
        var next = 0;
        foreach (var size in sizes)
        {
            var ids = Enumerable.Range(next, size).ToArray();
            parts.Add(new EncodedExamples(new EncodedTable([new FeatureColumn(User, ids.Select(i => i + 1).ToArray())], size), ids));
            next += size;
        }
        return (new ExampleParts(sizes, i => { Interlocked.Increment(ref loads[i]); return parts[i]; }), loads);
    }

    private static int[] ItemsOf(ExampleStream stream, int step)
    {
        var (examples, rows) = stream.Batch(step);
        var items = rows.ToArray().Select(r => examples.ItemIndex[r]).ToArray();
        // the query features travel with the item (user = item + 1 in these parts)
        Assert.Equal(items.Select(i => i + 1), rows.ToArray().Select(r => examples.Queries.Columns[0].Ids![r]));
        return items;
    }

    [Fact]
    public void Parts_that_fit_in_one_buffer_are_shuffled_exactly_as_one_array()
    {
        var (split, _) = Numbered(50, 0, 70, 30, 90);
        var (whole, _) = Numbered(240);
        using var a = new ExampleStream(split, [User], batchSize: 16, seed: 9, bufferExamples: 1000);
        using var b = new ExampleStream(whole, [User], batchSize: 16, seed: 9, bufferExamples: 1000);
        for (var step = 0; step < 2 * a.StepsPerEpoch; step++) Assert.Equal(ItemsOf(b, step), ItemsOf(a, step));
    }

    [Fact]
    public void A_small_buffer_visits_every_example_once_per_epoch_and_loads_each_part_once_per_epoch()
    {
        var (parts, loads) = Numbered(50, 0, 70, 30, 90, 7);
        using var stream = new ExampleStream(parts, [User], batchSize: 16, seed: 3, bufferExamples: 60);
        Assert.Equal(247 / 16 + 1, stream.StepsPerEpoch); // 15 full batches and one of 7
        var epochs = new List<int[]>();
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var seen = Enumerable.Range(epoch * stream.StepsPerEpoch, stream.StepsPerEpoch).SelectMany(s => ItemsOf(stream, s)).ToArray();
            Assert.Equal(Enumerable.Range(0, 247), seen.Order());
            epochs.Add(seen);
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(Enumerable.Range(0, 247), epochs[0]);
        // streaming, not re-reading: every part was read once per epoch (prefetch included)
        Thread.Sleep(100);
        Assert.All(loads, n => Assert.InRange(n, 3, 4));
    }

    [Fact]
    public void The_batches_of_a_step_do_not_depend_on_the_steps_read_before_so_resume_reads_the_same_stream()
    {
        var (parts, _) = Numbered(50, 0, 70, 30, 90, 7);
        using var straight = new ExampleStream(parts, [User], batchSize: 16, seed: 3, bufferExamples: 60);
        var expected = Enumerable.Range(0, 40).Select(s => ItemsOf(straight, s)).ToArray();
        foreach (var resumeAt in new[] { 0, 7, 16, 33 })
        {
            using var resumed = new ExampleStream(parts, [User], batchSize: 16, seed: 3, bufferExamples: 60);
            for (var step = resumeAt; step < 40; step++) Assert.Equal(expected[step], ItemsOf(resumed, step));
        }
    }

    [Fact]
    public void Capped_evaluation_ranks_an_evenly_spaced_sample_exactly_as_the_full_evaluation_does()
    {
        var data = TinyData.Data;
        using var trainer = new Trainer(data, TinyData.Options with { Epochs = 1 }, CPU, SslRec.Core.Statistics.MutualInformation.Compute(data.Items, data.ItemTrainCounts));
        trainer.Train();
        using var items = Embeddings.Encode(trainer.Model.ItemTower, data.Items, CPU);
        var all = HeldOutRanks.Compute(trainer.Model.QueryTower, data.Eval, data.Schema.Query, [items], CPU);
        var capped = HeldOutRanks.Compute(trainer.Model.QueryTower, data.Eval, data.Schema.Query, [items], CPU, maxQueries: 100);
        Assert.Equal(data.Eval.Count, all.Evaluated);
        Assert.Equal(100, capped.Evaluated);
        var n = (int)data.Eval.Count;
        var picked = Enumerable.Range(0, 100).Select(j => (int)((long)j * n / 100)).ToArray();
        Assert.Equal(picked.Select(i => all.Targets[i]), capped.Targets);
        Assert.Equal(picked.Select(i => all.Ranks[0][i]), capped.Ranks[0]);
    }
}
