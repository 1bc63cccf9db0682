using SslRec.Core.Options;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Training.Loop;

/// <summary>
/// The optimizer of the row-wise embedding tables (<see cref="SparseTables"/>): after the backward pass it
/// updates only the rows the step gathered, with their state, and leaves every other row and its state
/// untouched. Tower layers and DPQ/MGQE codebooks keep the dense optimizer.
///
/// State per table row: lazy Adam 2 × dim floats (first and second moments, as dense Adam); row-wise
/// Adagrad 1 float (one accumulator per row). Hyper-parameters are dense Adam's defaults (β 0.9/0.999,
/// eps 1e-8) and TorchRec's RowWiseAdagrad's (accumulator starting at 0, eps 1e-10). Learning rate:
/// <see cref="TrainingOptions.EmbeddingLearningRate"/>, or by default the tower's <see cref="TrainingOptions.LearningRate"/>
/// for lazy Adam (its update has Adam's scale) and 0.01 for row-wise Adagrad (TorchRec's default; measured
/// here: 0.003 lost 0.8% Recall@50 on link-prediction data, 0.01 matched dense Adam — bench/optimizers.sh).
/// </summary>
public sealed class RowWiseOptimizer : IDisposable
{
    public const double Beta1 = 0.9, Beta2 = 0.999, AdamEps = 1e-8, AdagradEps = 1e-10;
    public const double AdagradLearningRate = 0.01;

    /// <summary>The learning rate the row-wise optimizer of these options uses (see the class summary).</summary>
    public static double LearningRateOf(TrainingOptions o) =>
        o.EmbeddingLearningRate > 0 ? o.EmbeddingLearningRate
        : o.EmbeddingOptimizer == EmbeddingOptimizerKind.RowwiseAdagrad ? AdagradLearningRate : o.LearningRate;

    private readonly SparseTables _tables;
    private readonly Tensor[][] _state;   // per table: [m, v] (lazy Adam) or [sum] (row-wise Adagrad)

    public EmbeddingOptimizerKind Kind { get; }
    public double LearningRate { get; }

    /// <summary>Steps taken (the global step count lazy Adam's bias correction uses).</summary>
    public long Steps { get; private set; }

    public RowWiseOptimizer(SparseTables tables, EmbeddingOptimizerKind kind, double learningRate)
    {
        if (kind == EmbeddingOptimizerKind.Dense) throw new ArgumentException("dense embedding updates use the tower optimizer", nameof(kind));
        _tables = tables;
        Kind = kind;
        LearningRate = learningRate;
        _state = tables.Tables.Select(t => kind == EmbeddingOptimizerKind.LazyAdam
            ? new[] { zeros_like(t.Weight).DetachFromDisposeScope(), zeros_like(t.Weight).DetachFromDisposeScope() }
            : new[] { zeros(t.Size, dtype: t.Weight.dtype, device: t.Weight.device).DetachFromDisposeScope() }).ToArray();
    }

    /// <summary>Optimizer state bytes per table row (lazy Adam: 2 × dim floats; row-wise Adagrad: 1 float).</summary>
    public long StateBytesPerRow(SparseTable table) => Kind == EmbeddingOptimizerKind.LazyAdam ? 2 * table.Dim * sizeof(float) : sizeof(float);

    /// <summary>Optimizer state of all tables, in bytes.</summary>
    public long StateBytes => _state.Sum(s => s.Sum(t => t.numel() * t.element_size()));

    /// <summary>The state tensors of a table (for tests): [m, v] or [sum].</summary>
    public IReadOnlyList<Tensor> State(SparseTable table) => _state[IndexOf(table)];

    /// <summary>Applies the gradients of this step's gathered rows. Call after backward, before <see cref="SparseTables.EndStep"/>.</summary>
    public void Step()
    {
        Steps++;
        for (var i = 0; i < _tables.Tables.Count; i++)
        {
            var table = _tables.Tables[i];
            if (table.Rows is not { } rows) continue; // not touched this step
            using var grad = rows.grad;
            if (grad is null) continue;              // gathered but outside the loss's graph
            if (Kind == EmbeddingOptimizerKind.LazyAdam)
                OwnedScalarSteps.LazyAdamRows(table.Weight, table.Ids!, rows, grad, _state[i][0], _state[i][1], Steps, LearningRate, Beta1, Beta2, AdamEps);
            else
                OwnedScalarSteps.RowwiseAdagradRows(table.Weight, table.Ids!, rows, grad, _state[i][0], LearningRate, AdagradEps);
        }
    }

    /// <summary>Writes the kind, step count and every table's state (checkpoint format 2's row-wise section).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write((int)Kind);
        writer.Write(Steps);
        writer.Write(_tables.Tables.Count);
        for (var i = 0; i < _state.Length; i++)
        {
            writer.Write(_tables.Tables[i].Name);
            writer.Write(_state[i].Length);
            foreach (var t in _state[i]) TorchSharp.TensorExtensionMethods.Save(t, writer);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote, refusing state of another kind or another set of tables.</summary>
    public void Load(BinaryReader reader)
    {
        var kind = (EmbeddingOptimizerKind)reader.ReadInt32();
        if (kind != Kind) throw new InvalidDataException($"the checkpoint holds {kind} embedding optimizer state, this training uses {Kind}");
        var steps = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (count != _state.Length) throw new InvalidDataException($"the checkpoint holds optimizer state of {count} embedding tables, the model has {_state.Length}");
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var tensors = reader.ReadInt32();
            if (name != _tables.Tables[i].Name || tensors != _state[i].Length)
                throw new InvalidDataException($"the checkpoint's embedding optimizer state {i} is for table '{name}', the model's is '{_tables.Tables[i].Name}'");
            foreach (var t in _state[i]) TorchSharp.TensorExtensionMethods.Load(t, reader);
        }
        Steps = steps;
    }

    private int IndexOf(SparseTable table)
    {
        for (var i = 0; i < _tables.Tables.Count; i++)
            if (ReferenceEquals(_tables.Tables[i], table)) return i;
        throw new ArgumentException($"table {table.Name} is not one of this optimizer's");
    }

    public void Dispose()
    {
        foreach (var s in _state)
            foreach (var t in s) t.Dispose();
    }
}
