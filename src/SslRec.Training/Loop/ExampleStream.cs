using SslRec.Core.Data;
using SslRec.Core.Schema;
using SslRec.Core.Util;

namespace SslRec.Training.Loop;

/// <summary>
/// The training examples of each step, read from example parts a shuffle buffer at a time.
///
/// An epoch visits the parts in a fresh order (from seed and epoch), cut into groups of consecutive parts
/// holding at least <c>bufferExamples</c> examples; each group's examples are shuffled (from seed, epoch
/// and group) and the groups follow one another. Batches are consecutive slices of that sequence, so a
/// batch may span two groups. A dataset that fits in one group keeps the parts in their order and is
/// shuffled globally, exactly as when all examples were one array.
///
/// Everything is a function of (seed, step), so a run resumed from a checkpoint at any step reads the
/// same batches as one that never stopped: the stream position is the step. Memory: the group being
/// read and the next, loaded in the background while this one is trained on.
/// </summary>
public sealed class ExampleStream : IDisposable
{
    private readonly ExampleParts _parts;
    private readonly IReadOnlyList<FeatureSpec> _querySpecs;
    private readonly int _batchSize;
    private readonly ulong _seed;
    private readonly long _bufferExamples;
    private readonly Dictionary<(int Epoch, int Group), Task<LoadedGroup>> _loaded = new();
    private readonly Dictionary<int, EpochPlan> _plans = new();

    public int StepsPerEpoch { get; }

    public ExampleStream(ExampleParts parts, IReadOnlyList<FeatureSpec> querySpecs, int batchSize, ulong seed, long bufferExamples)
    {
        _parts = parts;
        _querySpecs = querySpecs;
        _batchSize = batchSize;
        _seed = seed;
        _bufferExamples = bufferExamples;
        var n = parts.Count;
        var steps = n / batchSize + (n % batchSize >= 2 ? 1 : 0);
        if (steps > int.MaxValue) throw new ArgumentException($"{n} examples make more than {int.MaxValue} steps per epoch; use a larger batch");
        StepsPerEpoch = (int)steps;
    }

    /// <summary>Examples in the batch of a step (the last batch of an epoch may be smaller).</summary>
    public int BatchSize(int step) => (int)Math.Min(_batchSize, _parts.Count - (long)(step % StepsPerEpoch) * _batchSize);

    /// <summary>The examples of one step: a table and the rows of it that form the batch, in batch order.</summary>
    public (EncodedExamples Examples, ReadOnlyMemory<int> Rows) Batch(int step)
    {
        var epoch = step / StepsPerEpoch;
        var plan = Plan(epoch);
        // an earlier epoch's plan and groups are no longer needed
        foreach (var old in _plans.Keys.Where(e => e < epoch).ToList()) _plans.Remove(old);
        foreach (var key in _loaded.Keys.Where(k => k.Epoch < epoch).ToList()) Drop(key);
        var begin = (long)(step % StepsPerEpoch) * _batchSize;
        var size = BatchSize(step);
        var g = plan.GroupAt(begin);
        var group = Load(plan, g);
        Prefetch(plan, g + 1);
        var offset = (int)(begin - plan.Starts[g]);
        if (offset + size <= group.Order.Length) return (group.Examples, group.Order.AsMemory(offset, size));

        // The batch spans groups: gather its rows from each into one small table.
        var pieces = new List<EncodedExamples>();
        while (size > 0)
        {
            var take = Math.Min(size, group.Order.Length - offset);
            if (take > 0) pieces.Add(group.Examples.Gather(group.Order.AsSpan(offset, take)));
            size -= take;
            offset = 0;
            if (size > 0) group = Load(plan, ++g);
        }
        var batch = EncodedExamples.Concat(_querySpecs, pieces);
        return (batch, Enumerable.Range(0, batch.Count).ToArray());
    }

    private sealed record LoadedGroup(EncodedExamples Examples, int[] Order);

    /// <summary>An epoch's groups: the parts of each, and where each starts in the epoch's sequence.</summary>
    private sealed record EpochPlan(int Epoch, int[][] Groups, long[] Starts)
    {
        public int GroupAt(long position)
        {
            var g = Array.BinarySearch(Starts, position);
            return g >= 0 ? LastStartingAt(g) : ~g - 1;
        }

        // empty parts can make several groups start at the same position; the last of them holds the rows
        private int LastStartingAt(int g)
        {
            while (g + 1 < Starts.Length && Starts[g + 1] == Starts[g]) g++;
            return g;
        }
    }

    private EpochPlan Plan(int epoch)
    {
        if (_plans.TryGetValue(epoch, out var known)) return known;
        var order = Enumerable.Range(0, _parts.PartCount).ToArray();
        var oneGroup = _parts.Count <= _bufferExamples;
        if (!oneGroup) new Rng(_seed, stream: 3, position: (ulong)epoch).Shuffle(order.AsSpan());
        var groups = new List<int[]>();
        var starts = new List<long>();
        long position = 0, inGroup = 0;
        var current = new List<int>();
        foreach (var part in order)
        {
            current.Add(part);
            inGroup += _parts.Counts[part];
            if (!oneGroup && inGroup >= _bufferExamples) Close();
        }
        if (current.Count > 0 || groups.Count == 0) Close();
        return _plans[epoch] = new EpochPlan(epoch, groups.ToArray(), starts.ToArray());

        void Close()
        {
            groups.Add(current.ToArray());
            starts.Add(position);
            position += inGroup;
            inGroup = 0;
            current.Clear();
        }
    }

    private LoadedGroup Load(EpochPlan plan, int g)
    {
        if (!_loaded.TryGetValue((plan.Epoch, g), out var task))
            _loaded[(plan.Epoch, g)] = task = Task.FromResult(LoadGroup(plan, g));
        foreach (var key in _loaded.Keys.Where(k => k.Epoch == plan.Epoch && k.Group < g).ToList()) Drop(key);
        return task.GetAwaiter().GetResult(); // the training loop is synchronous: it waits here for the prefetch it started (Task.Run)
    }

    /// <summary>Starts loading the group after g (the first of the next epoch after the last) in the background.</summary>
    private void Prefetch(EpochPlan plan, int g)
    {
        if (g >= plan.Groups.Length)
        {
            // one group per epoch: the next epoch holds the same examples; load them when it starts rather than hold them twice
            if (plan.Groups.Length == 1) return;
            (plan, g) = (Plan(plan.Epoch + 1), 0);
        }
        if (_loaded.ContainsKey((plan.Epoch, g))) return;
        _loaded[(plan.Epoch, g)] = Task.Run(() => LoadGroup(plan, g));
    }

    private void Drop((int, int) key)
    {
        if (_loaded.Remove(key, out var task)) task.ContinueWith(_ => { }, TaskScheduler.Default); // observe a failed prefetch
    }

    private LoadedGroup LoadGroup(EpochPlan plan, int g)
    {
        var examples = EncodedExamples.Concat(_querySpecs, plan.Groups[g].Select(_parts.Load).ToList());
        var order = new int[examples.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        // group 0 of an epoch uses the epoch's own stream, so a one-group dataset shuffles as it always has
        new Rng(_seed, stream: 2, position: (ulong)(uint)plan.Epoch | ((ulong)(uint)g << 32)).Shuffle(order.AsSpan());
        return new LoadedGroup(examples, order);
    }

    public void Dispose()
    {
        foreach (var key in _loaded.Keys.ToList()) Drop(key);
    }
}
