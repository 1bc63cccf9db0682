namespace SslRec.Core.Synthetic;

public sealed record SyntheticOptions
{
    public int Interactions { get; init; } = 60_000;
    public int Items { get; init; } = 2_000;
    /// <summary>Users; 0 picks one user per 12 interactions.</summary>
    public int Users { get; init; }
    public ulong Seed { get; init; } = 1;
    public int Categories { get; init; } = 20;
    public int BrandsPerCategory { get; init; } = 5;
    public int TagsPerCategory { get; init; } = 10;
    /// <summary>Zipf exponent of item popularity.</summary>
    public double PopularityExponent { get; init; } = 1.05;
    /// <summary>Probability that an interaction follows the user's favourite categories.</summary>
    public double Affinity { get; init; } = 0.8;
}
