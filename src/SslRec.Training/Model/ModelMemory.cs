using SslRec.Core.Data;
using SslRec.Core.Options;
using SslRec.Core.Ssl;

namespace SslRec.Training.Model;

/// <summary>
/// What training a model will hold, estimated from the vocabularies and the options before anything is
/// allocated, so that a model that cannot fit fails at once with the sizes instead of after minutes of
/// swapping, an out-of-memory kill or a CUDA error retried on the GPU.
/// </summary>
/// <param name="Parameters">weights of both towers (a tied table once)</param>
/// <param name="StateFactor">bytes held per parameter byte: the weights, their gradients and the optimiser's state</param>
/// <param name="ActivationBytes">one step's activations: tower passes and the B² score matrices of the losses</param>
/// <param name="HostBytes">held in host memory whatever the device: the shuffle buffers of training examples</param>
public sealed record ModelMemory(long Parameters, int StateFactor, long ActivationBytes, long HostBytes)
{
    public long ParameterBytes => Parameters * sizeof(float);
    /// <summary>Bytes on the training device.</summary>
    public long DeviceBytes => ParameterBytes * StateFactor + ActivationBytes;

    public static ModelMemory Estimate(EncodedDataset data, TrainingOptions o)
    {
        var queryPlans = FeatureEmbeddingPlan.For(data.QueryVocabularies, o);
        var itemPlans = FeatureEmbeddingPlan.For(data.ItemVocabularies, o);
        var ties = TwoTowerModel.Ties(data.Schema);
        long parameters = 0;
        for (var f = 0; f < queryPlans.Count; f++)
            if (ties[f] is null) parameters += TableParameters(queryPlans[f], o);
        parameters += itemPlans.Sum(p => TableParameters(p, o));
        parameters += MlpParameters(queryPlans.Count, o) + MlpParameters(itemPlans.Count, o);

        // Adam keeps two moments per weight, Adagrad one; every weight also has a dense gradient.
        var stateFactor = 2 + (o.Optimizer == OptimizerKind.Adam ? 2 : 1);

        var ssl = SslAugmentations.Active(o) is not null;
        long b = o.BatchSize, s = o.SslBatchSize;
        // Scores, their softmax and gradient, and the accidental-hit mask: about four B×B float matrices per loss.
        var scores = 4 * b * b + (ssl ? 4 * s * s : 0) + (o.SpreadOut > 0 ? 4 * s * s : 0);
        // Each tower pass keeps its layer outputs for the backward pass, and gets as many gradients.
        long rows = 2 * b + (ssl ? 2 * s : 0) + (o.SpreadOut > 0 ? s : 0);
        long width = Math.Max(queryPlans.Count, itemPlans.Count) * (long)o.EmbeddingDim + 2L * o.Hidden.Sum(h => (long)h) + o.OutputDim;
        // A quantized table scores every id of the pass against its K keys per group (distances, softmax, gradient).
        long quantized = queryPlans.Concat(itemPlans).Where(p => p.Quantized).Sum(p => 3L * o.DpqGroups * p.Centroids);
        var activations = (scores + 2 * rows * width + rows * quantized) * sizeof(float);

        // The example stream holds the group being trained on and the next one (each at least a buffer,
        // whole parts), as int32 query values, item index and shuffle order per example: a lower bound, as
        // multi-valued features hold more than one value.
        var largestPart = data.Train.Counts.Count > 0 ? data.Train.Counts.Max() : 0;
        var buffered = Math.Min(data.Train.Count, 2 * ((long)o.ShuffleBuffer + largestPart));
        var host = buffered * (data.Schema.Query.Count + 2) * sizeof(int);
        return new ModelMemory(parameters, stateFactor, activations, host);
    }

    private static long TableParameters(FeatureEmbeddingPlan plan, TrainingOptions o) =>
        // a quantized table: per-id query vectors, plus keys and values (G groups × K × D/G each)
        (long)plan.Size * o.EmbeddingDim + (plan.Quantized ? 2L * plan.Centroids * o.EmbeddingDim : 0);

    private static long MlpParameters(int features, TrainingOptions o)
    {
        long total = 0, width = (long)features * o.EmbeddingDim;
        foreach (var h in o.Hidden.Append(o.OutputDim))
        {
            total += width * h + h;
            width = h;
        }
        return total;
    }

    /// <summary>
    /// Refuses training when the estimate exceeds what the device (and, for a GPU, the host) has available;
    /// a device that cannot say what it has is not checked.
    /// </summary>
    /// <exception cref="ModelTooLargeException">one line: what the model needs, of which parts, what is available, what to change</exception>
    public void EnsureFits(AvailableMemory? device, AvailableMemory? host, bool deviceIsHost)
    {
        var needed = deviceIsHost ? DeviceBytes + HostBytes : DeviceBytes;
        if (device is { } d && needed > d.Bytes)
            throw new ModelTooLargeException(
                $"the model cannot fit: training needs about {Size(needed)} on {d.Device} ({Describe(deviceIsHost)}) but {Size(d.Bytes)} is available ({d.Source}); " +
                "lower --embedding-dim, --hidden, --batch-size or --shuffle-buffer, raise the schema's min_count (smaller vocabularies), or train on a larger machine");
        if (!deviceIsHost && host is { } h && HostBytes > h.Bytes)
            throw new ModelTooLargeException(
                $"the shuffle buffers cannot fit: they need about {Size(HostBytes)} of host memory but {Size(h.Bytes)} is available ({h.Source}); lower --shuffle-buffer");
    }

    /// <summary>One phrase for logs: "about 41 MB (…)".</summary>
    public string Summary(bool deviceIsHost) => $"about {Size(deviceIsHost ? DeviceBytes + HostBytes : DeviceBytes)} ({Describe(deviceIsHost)})";

    private string Describe(bool deviceIsHost) =>
        $"{Parameters:N0} weights, {Size(ParameterBytes)} × {StateFactor} with gradients and optimiser state; {Size(ActivationBytes)} of activations per step" +
        (deviceIsHost ? $"; {Size(HostBytes)} of shuffle buffers" : "");

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F0} MiB",
        _ => $"{Math.Max(1, bytes / 1024):N0} KiB",
    };
}

/// <summary>Memory a device reports as available, and where the figure comes from (shown when training is refused).</summary>
public sealed record AvailableMemory(string Device, long Bytes, string Source);

/// <summary>
/// The options ask for a model the machine cannot hold. An <see cref="ArgumentException"/>: the options have
/// to change (or the machine); running the same request again cannot succeed.
/// </summary>
public sealed class ModelTooLargeException(string message) : ArgumentException(message);
