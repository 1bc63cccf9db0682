using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SslRec.Training.Model;

/// <summary>
/// One embedding table trained row-wise. While a step's batches are assembled on the host, every id
/// they read is given a slot (<see cref="Slot"/>): the first id seen gets 0, the next new one 1, … — the
/// step's distinct rows in first-seen order. <see cref="Gather"/> then copies those rows into a small leaf
/// tensor [rows touched × dim] that the step's forward reads instead of the table; its gradient is the
/// table's gradient restricted to the touched rows, dense and coalesced (each row once), and the row-wise
/// optimizer writes the updated rows back. No sparse COO tensors, no [vocabulary × dim] gradient, and no
/// device work that grows with the vocabulary.
///
/// Why host-side slots rather than torch.unique on the device: the ids are on the host anyway (the batch
/// is assembled there), a slot is one array read per id (no sort, no hash), and on a GPU a device unique
/// would make the host wait for its output size every step.
/// </summary>
public sealed class SparseTable
{
    private readonly int[] _slotOf;     // vocabulary id → slot this step, -1 when not touched (reset by EndStep)
    private long[] _ids = new long[256];

    /// <param name="name">the table's parameter name (checkpoints and messages)</param>
    /// <param name="weight">the full table [vocabulary × dim]</param>
    public SparseTable(string name, Parameter weight)
    {
        Name = name;
        Weight = weight;
        _slotOf = new int[weight.shape[0]];
        Array.Fill(_slotOf, -1);
    }

    public string Name { get; }
    public Parameter Weight { get; }
    public long Size => Weight.shape[0];
    public long Dim => Weight.shape[1];

    /// <summary>Distinct rows touched so far this step.</summary>
    public int Count { get; private set; }

    /// <summary>This step's touched vocabulary ids in slot order [Count], on the device (after <see cref="Gather"/>).</summary>
    public Tensor? Ids { get; private set; }

    /// <summary>This step's touched rows [Count × dim]: a leaf that requires grad (after <see cref="Gather"/>).</summary>
    public Tensor? Rows { get; private set; }

    /// <summary>The slot of id 0 ("missing / masked") as a 1-element index tensor, when a batch masked a feature of this table.</summary>
    public Tensor? MissingSlot { get; private set; }

    /// <summary>The slot of a vocabulary id this step (a new one when the id is first seen).</summary>
    public int Slot(long id)
    {
        var slot = _slotOf[id];
        if (slot >= 0) return slot;
        if (Count == _ids.Length) Array.Resize(ref _ids, _ids.Length * 2);
        _ids[Count] = id;
        _slotOf[id] = Count;
        return Count++;
    }

    /// <summary>
    /// Copies the touched rows into a fresh leaf tensor (owned by the caller's dispose scope). Called once
    /// per step, after every batch of the step was assembled and before the forward pass.
    /// </summary>
    public void Gather(Device device)
    {
        if (Count == 0) return;
        using var _ = no_grad();
        Ids = HostTensors.From<long>(_ids.AsSpan(0, Count), device);
        Rows = Weight.index_select(0, Ids).requires_grad_(true);
        MissingSlot = _slotOf[0] >= 0 ? HostTensors.From<long>([_slotOf[0]], device) : null;
    }

    /// <summary>Forgets this step's slots (O(rows touched)); the tensors belong to the step's dispose scope.</summary>
    public void EndStep()
    {
        for (var i = 0; i < Count; i++) _slotOf[_ids[i]] = -1;
        Count = 0;
        Ids = Rows = MissingSlot = null;
    }
}

/// <summary>
/// The model's row-wise tables: every full embedding table and every DPQ/MGQE per-id query table, each
/// once (a tied table is one <see cref="SparseTable"/> that both towers' batches register ids with).
/// DPQ/MGQE codebooks are small and read whole by every step, so they stay with the dense optimizer.
/// </summary>
public sealed class SparseTables
{
    private readonly Dictionary<Tower, SparseTable?[]> _byTower = [];

    public IReadOnlyList<SparseTable> Tables { get; }

    public SparseTables(TwoTowerModel model)
    {
        // The model's own Parameter objects, by name: the ones the checkpoint and the dense optimizer see
        // (a module's property may hand out another wrapper of the same tensor).
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var tables = new List<SparseTable>();
        var byModule = new Dictionary<Module, SparseTable>(ReferenceEqualityComparer.Instance as IEqualityComparer<Module>);
        // Item tower first: it owns tied tables, so their names are the item side's.
        foreach (var (tower, prefix) in new[] { (model.ItemTower, "item"), (model.QueryTower, "query") })
        {
            var perFeature = new SparseTable?[tower.FeatureCount];
            for (var f = 0; f < tower.FeatureCount; f++)
            {
                var module = tower.EmbeddingModule(f);
                if (!byModule.TryGetValue(module, out var table))
                {
                    var name = $"{prefix}.embeddings.{f}.{(module is QuantizedEmbedding ? "query" : "weight")}";
                    table = new SparseTable(name, parameters.TryGetValue(name, out var weight) ? weight
                        : throw new InvalidOperationException($"no parameter '{name}' among {string.Join(", ", parameters.Keys)}"));
                    byModule.Add(module, table);
                    tables.Add(table);
                }
                perFeature[f] = table;
            }
            _byTower[tower] = perFeature;
        }
        Tables = tables;
    }

    /// <summary>Per feature of the tower, the table its ids are slotted into.</summary>
    public SparseTable?[] For(Tower tower) => _byTower[tower];

    /// <summary>The parameter names of the row-wise tables (these leave the dense optimizer).</summary>
    public IReadOnlySet<string> Names => Tables.Select(t => t.Name).ToHashSet();

    public void Gather(Device device)
    {
        foreach (var t in Tables) t.Gather(device);
    }

    public void EndStep()
    {
        foreach (var t in Tables) t.EndStep();
    }
}
