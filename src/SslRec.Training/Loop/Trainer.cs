using System.Diagnostics;
using SslRec.Core.Checkpoints;
using SslRec.Core.Data;
using SslRec.Core.Metrics;
using SslRec.Core.Options;
using SslRec.Core.Schema;
using SslRec.Core.Statistics;
using SslRec.Core.Util;
using SslRec.Training.Losses;
using SslRec.Training.Model;
using SslRec.Training.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace SslRec.Training.Loop;

/// <summary>
/// Trains the two-tower model: the main task, batch softmax (logQ-corrected, in-batch negatives), plus the
/// weighted loss terms the options ask for (<see cref="LossTerms"/>: α × the SSL task's contrastive loss on
/// separately sampled items, the spread-out regulariser).
///
/// Determinism: the model is initialised from the seed; every random choice during training (epoch
/// order, SSL items, masks, dropout) comes from a generator derived from (seed, epoch or step), so a run
/// resumed from a checkpoint takes exactly the same steps as one that never stopped.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly EncodedDataset _data;
    private readonly TrainingOptions _o;
    private readonly Device _device;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;   // tower layers (and every table when dense)
    private readonly SparseTables? _sparse;                             // row-wise tables, null when dense
    private readonly RowWiseOptimizer? _rowWise;
    private readonly Tensor _logQ;           // [corpus] log P(item) from training frequencies
    private readonly IReadOnlyList<ILossTerm> _terms;
    private readonly ExampleStream _examples;
    private readonly int _stepsPerEpoch;

    public TwoTowerModel Model { get; }
    public TrainingOptions Options => _o;
    public TrainingState State { get; private set; }
    /// <summary>The model with where its training stands (steps, examples, loss history): what evaluation and the output writer read.</summary>
    public TrainedModel Result => new(Model, _o, State);
    /// <summary>The step of the checkpoint <see cref="TryResume"/> continued from (0 when training started fresh).</summary>
    public int ResumedFromStep { get; private set; }

    /// <summary>What training is estimated to hold (checked against the device before the model was built).</summary>
    public ModelMemory Memory { get; }
    /// <summary>What the device reported available when the model was checked (null: it cannot say).</summary>
    public AvailableMemory? AvailableMemory { get; }

    /// <param name="itemStatistics">the item features' statistics an augmentation may need (computed from the data when null)</param>
    /// <param name="availableMemory">memory to check the model against instead of what the device reports (tests)</param>
    /// <exception cref="ArgumentException">refused options, a step count beyond int, or a model the device cannot hold (<see cref="ModelTooLargeException"/>)</exception>
    public Trainer(EncodedDataset data, TrainingOptions options, Device device, ItemFeatureStatistics? itemStatistics = null, AvailableMemory? availableMemory = null)
    {
        options.Validate();
        NativeAllocator.KeepBuffersInHeap(); // step buffers reused, not page-faulted afresh every step (see there)
        _data = data;
        _o = options;
        _device = device;
        SchemaRequirements.Check(options, data.Schema, DatasetSchema.FileName);

        // Before anything is allocated: the step count must be countable, and the model must fit.
        _examples = new ExampleStream(data.Train, data.Schema.Query, options.BatchSize, options.Seed, options.ShuffleBuffer);
        _stepsPerEpoch = _examples.StepsPerEpoch;
        if (_stepsPerEpoch == 0) throw new ArgumentException($"{data.Train.Count} training examples are fewer than the 2 a batch needs");
        var totalSteps = (long)_stepsPerEpoch * options.Epochs;
        if (totalSteps > int.MaxValue)
            throw new ArgumentException($"{_stepsPerEpoch:N0} steps per epoch × {options.Epochs:N0} epochs = {totalSteps:N0} steps, more than a training can count ({int.MaxValue:N0}); use fewer --epochs or a larger --batch-size");
        Memory = ModelMemory.Estimate(data, options);
        var deviceIsHost = device.type != DeviceType.CUDA;
        AvailableMemory = availableMemory ?? DeviceMemory.Available(device);
        Memory.EnsureFits(AvailableMemory, deviceIsHost ? null : DeviceMemory.Host(), deviceIsHost);

        Model = TorchSetup.CreateSeeded(options.Seed, () => new TwoTowerModel(data, options));
        Model.to(device);
        // Row-wise embedding updates: the tables leave the dense optimizer (no state, no gradient for them
        // there); each step gathers the rows its batches touch and the row-wise optimizer updates those.
        var parameters = Model.parameters().ToList();
        if (options.EmbeddingOptimizer != EmbeddingOptimizerKind.Dense)
        {
            _sparse = new SparseTables(Model);
            var tables = _sparse.Names;
            parameters = Model.named_parameters().Where(p => !tables.Contains(p.name)).Select(p => p.parameter).ToList();
            _rowWise = new RowWiseOptimizer(_sparse, options.EmbeddingOptimizer, RowWiseOptimizer.LearningRateOf(options));
        }
        _optimizer = options.Optimizer switch
        {
            OptimizerKind.Adagrad => (TorchSharp.Modules.OptimizerHelper)optim.Adagrad(parameters, lr: options.LearningRate, initial_accumulator_value: 0.1),
            _ => optim.Adam(parameters, lr: options.LearningRate),
        };

        var total = (double)data.ItemTrainCounts.Sum();
        // Items never trained on cannot be positives of a training batch; give them the smallest probability.
        var logQ = data.ItemTrainCounts.Select(c => (float)Math.Log(Math.Max(c, 1) / total)).ToArray();
        _logQ = HostTensors.From<float>(logQ, device);
        _terms = LossTerms.For(data, options, itemStatistics ?? ItemFeatureStatistics.Of(data), device);

        // The stream position is a function of the step only for the same parts: a checkpoint also names them.
        var layout = $" | examples {data.Train.Count} in parts {StableHash.Hash(string.Join(',', data.Train.Counts)):x16}";
        State = new TrainingState { TotalSteps = (int)totalSteps, Fingerprint = options.Fingerprint() + layout };
    }

    /// <summary>With the item features' mutual information computed already (tests and benchmarks that share it between trainers).</summary>
    public Trainer(EncodedDataset data, TrainingOptions options, Device device, double[,] mutualInformation, AvailableMemory? availableMemory = null)
        : this(data, options, device, ItemFeatureStatistics.WithMutualInformation(data, mutualInformation), availableMemory) { }

    public int StepsPerEpoch => _stepsPerEpoch;

    /// <summary>Continues from the store's newest checkpoint if there is one; returns whether it did.</summary>
    public bool TryResume(ICheckpointStore store)
    {
        using var stream = store.OpenLatest(out _);
        if (stream is null) return false;
        var state = Checkpoint.Read(stream, Model, _optimizer, _rowWise, accept: s =>
        {
            if (s.Fingerprint != State.Fingerprint)
                throw new InvalidOperationException("the checkpoint was written with different training settings or example parts; use the same options and data to resume, or a new output folder");
        });
        state.TotalSteps = State.TotalSteps; // more epochs may have been asked for
        State = state;
        ResumedFromStep = state.Step;
        return true;
    }

    public void SaveCheckpoint(ICheckpointStore store) =>
        store.Save(State.Step, s => Checkpoint.Write(s, State, Model, _optimizer, _rowWise));

    /// <summary>
    /// Runs steps until all epochs (or MaxSteps) are done, checkpointing along the way. With a store and
    /// <paramref name="suspendAt"/>, the first step that ends after that time saves a checkpoint and throws
    /// <see cref="TrainingSuspendedException"/> (every execution makes at least one step); a later
    /// <see cref="TryResume"/> continues exactly where it stopped.
    /// </summary>
    public void Train(ICheckpointStore? store = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default,
        DateTimeOffset? suspendAt = null)
    {
        var stopAt = _o.MaxSteps > 0 ? Math.Min(_o.MaxSteps, State.TotalSteps) : State.TotalSteps;
        Model.train();
        var clock = Stopwatch.StartNew();
        var secondsBefore = State.TrainSeconds;
        var examplesBefore = State.ExamplesSeen;
        while (State.Step < stopAt)
        {
            cancel.ThrowIfCancellationRequested();
            var record = Step(State.Step);
            State.Losses.Add(record);
            State.Step++;
            State.ExamplesSeen += CurrentBatchSize(State.Step - 1);
            State.TrainSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
            var checkpointed = store is not null && _o.CheckpointEvery > 0 && State.Step % _o.CheckpointEvery == 0 && State.Step < stopAt;
            if (checkpointed) SaveCheckpoint(store!);
            progress?.Invoke(new TrainingProgress(State.Step, stopAt, record.Epoch, record.Total,
                (State.ExamplesSeen - examplesBefore) / Math.Max(1e-9, clock.Elapsed.TotalSeconds), ResumedFromStep));
            if (store is not null && suspendAt is { } deadline && State.Step < stopAt && DateTimeOffset.UtcNow >= deadline)
            {
                if (!checkpointed) SaveCheckpoint(store);
                throw new TrainingSuspendedException(State.Step, State.TotalSteps);
            }
        }
        if (store is not null) SaveCheckpoint(store);
    }

    /// <summary>Runs exactly <paramref name="count"/> more steps (the schedule wraps into further epochs); no checkpoints. For benchmarks.</summary>
    public void TrainSteps(int count)
    {
        Model.train();
        for (var i = 0; i < count; i++)
        {
            State.Losses.Add(Step(State.Step));
            State.ExamplesSeen += CurrentBatchSize(State.Step);
            State.Step++;
        }
    }

    private int CurrentBatchSize(int step) => _examples.BatchSize(step);

    /// <summary>The row-wise embedding optimizer (null when tables are updated densely).</summary>
    public RowWiseOptimizer? RowWise => _rowWise;

    /// <summary>The row-wise tables (null when tables are updated densely).</summary>
    public SparseTables? SparseTables => _sparse;

    private LossRecord Step(int step)
    {
        try
        {
            return StepOnce(step);
        }
        finally
        {
            _sparse?.EndStep(); // a failed step must not leave its slots for the next one
        }
    }

    private LossRecord StepOnce(int step)
    {
        using var scope = NewDisposeScope();
        var timings = Timings;
        var clock = timings is null ? null : Stopwatch.StartNew();
        var epoch = step / _stepsPerEpoch;
        var (examples, batchRows) = _examples.Batch(step);
        var rows = batchRows.Span;
        var rng = new Rng(_o.Seed, stream: 1, position: (ulong)step);

        // 1. Host-side batch assembly: every tower input of this step.
        var itemRows = new long[rows.Length];
        var itemIndices = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++) itemRows[i] = itemIndices[i] = examples.ItemIndex[rows[i]];
        var itemIds = HostTensors.From<long>(itemRows, _device);
        // With row-wise tables every id is slotted into its table's rows touched this step.
        var querySlots = _sparse?.For(Model.QueryTower);
        var itemSlots = _sparse?.For(Model.ItemTower);
        var queryBatch = FeatureBatchBuilder.Build(examples.Queries, rows, _device, sparse: querySlots);
        var itemBatch = FeatureBatchBuilder.Build(_data.Items, itemIndices, _device, sparse: itemSlots);
        // Each loss term draws its items from the step's generator after the main batch, in the terms' order.
        var termInputs = new StepInputs(rng, itemSlots);
        var termForwards = _terms.Select(t => t.Assemble(termInputs)).ToArray();
        if (timings is not null) Lap(clock!, ref timings.Assembly);

        // 2. Gather the touched rows (row-wise tables), forward: towers and losses.
        _sparse?.Gather(_device);

        var q = Model.QueryTower.call(queryBatch);
        var x = Model.ItemTower.call(itemBatch);
        var main = RetrievalLosses.BatchSoftmax(q, x, _logQ.index_select(0, itemIds), itemIds, _o.Tau);
        var loss = main;
        var termLosses = new Tensor[_terms.Count];
        for (var t = 0; t < _terms.Count; t++)
        {
            termLosses[t] = termForwards[t](Model);
            loss = loss.add(termLosses[t], TorchScalars.Of(_terms[t].Weight));
        }
        if (timings is not null) Lap(clock!, ref timings.Forward);

        // 3. Backward, 4. optimiser.
        _optimizer.zero_grad();
        loss.backward();
        if (timings is not null) Lap(clock!, ref timings.Backward);
        OwnedScalarSteps.Step(_optimizer); // not _optimizer.step(): see OwnedScalarSteps
        _rowWise?.Step();
        if (timings is not null) Lap(clock!, ref timings.Optimizer);
        return new LossRecord(step, epoch, loss.item<float>(), main.item<float>(), TermLoss(LossTermKind.Ssl), TermLoss(LossTermKind.SpreadOut));

        double TermLoss(LossTermKind kind)
        {
            for (var t = 0; t < _terms.Count; t++)
                if (_terms[t].Kind == kind) return termLosses[t].item<float>();
            return 0;
        }
    }

    /// <summary>Per-phase wall time of the steps run while set (for benchmarks; CPU tensors run synchronously).</summary>
    public StepTimings? Timings { get; set; }

    private static void Lap(Stopwatch clock, ref TimeSpan phase)
    {
        phase += clock.Elapsed;
        clock.Restart();
    }

    public void Dispose()
    {
        _examples.Dispose();
        _logQ.Dispose();
        _optimizer.Dispose();
        _rowWise?.Dispose();
        Model.Dispose();
    }
}

public sealed class StepTimings
{
    public TimeSpan Assembly, Forward, Backward, Optimizer;
    public TimeSpan Total => Assembly + Forward + Backward + Optimizer;
}
