using SslRec.Core.Data;

namespace SslRec.Core.Statistics;

/// <summary>
/// What training and its reports may ask about the item features, computed once, on first use: an SSL
/// augmentation that declares it needs the mutual information (CFM) and feature_mi.json read the same
/// matrix, and a training that needs neither never computes it.
/// </summary>
public sealed class ItemFeatureStatistics
{
    private readonly Lazy<double[,]> _mutualInformation;

    public ItemFeatureStatistics(EncodedTable items, IReadOnlyList<long> itemTrainCounts)
        : this(Names(items), new Lazy<double[,]>(() => Statistics.MutualInformation.Compute(items, itemTrainCounts))) { }

    /// <summary>Statistics known already: a matrix computed elsewhere (of the same data), or a test's.</summary>
    public ItemFeatureStatistics(IReadOnlyList<string> names, double[,] mutualInformation) : this(names, new Lazy<double[,]>(mutualInformation))
    {
        if (mutualInformation.GetLength(0) != names.Count || mutualInformation.GetLength(1) != names.Count)
            throw new ArgumentException($"a {names.Count} × {names.Count} mutual-information matrix is required");
    }

    private ItemFeatureStatistics(IReadOnlyList<string> names, Lazy<double[,]> mutualInformation)
    {
        FeatureNames = names;
        _mutualInformation = mutualInformation;
    }

    public static ItemFeatureStatistics Of(EncodedDataset data) => new(data.Items, data.ItemTrainCounts);

    /// <summary>With the matrix the caller computed already (<see cref="Statistics.MutualInformation.Compute"/> of the same data).</summary>
    public static ItemFeatureStatistics WithMutualInformation(EncodedDataset data, double[,] mutualInformation) => new(Names(data.Items), mutualInformation);

    /// <summary>Item feature names, in schema order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    public int Count => FeatureNames.Count;

    /// <summary>Whether the mutual information has been computed (or was given).</summary>
    public bool HasMutualInformation => _mutualInformation.IsValueCreated;

    /// <summary>Pairwise mutual information (nats) under the training distribution (<see cref="Statistics.MutualInformation"/>).</summary>
    public double[,] MutualInformation => _mutualInformation.Value;

    private static string[] Names(EncodedTable items) => items.Columns.Select(c => c.Spec.Name).ToArray();
}
