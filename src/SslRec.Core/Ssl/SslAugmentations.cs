using SslRec.Core.Options;

namespace SslRec.Core.Ssl;

/// <summary>
/// The registry of SSL augmentations: every non-abstract <see cref="SslAugmentation"/> in this assembly,
/// so adding one is adding its class (and its <see cref="SslMode"/> value, the name checkpoints, bundles
/// and retrain messages carry). The `--ssl` help, the schema check (<see cref="SchemaRequirements"/>) and
/// the trainer read it; tests check that every mode but none has exactly one augmentation.
/// </summary>
public static class SslAugmentations
{
    /// <summary>What `--ssl none` means, for the help beside the augmentations' lines.</summary>
    public const string NoneHelp = "no SSL task: the plain two-tower baseline";

    public static IReadOnlyList<SslAugmentation> All { get; } = typeof(SslAugmentation).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(SslAugmentation)))
        .Select(t => (SslAugmentation)Activator.CreateInstance(t)!)
        .OrderBy(a => a.Mode).ToArray();

    /// <summary>The augmentation of a mode; null for <see cref="SslMode.None"/>.</summary>
    public static SslAugmentation? For(SslMode mode) =>
        mode == SslMode.None ? null
        : All.FirstOrDefault(a => a.Mode == mode) ?? throw new ArgumentException($"ssl {mode.ToString().ToLowerInvariant()} has no augmentation (an SslAugmentation class for it)");

    /// <summary>The augmentation a training with these options runs: null when it has no SSL task (ssl none, or α = 0).</summary>
    public static SslAugmentation? Active(TrainingOptions options) => options.Alpha > 0 ? For(options.Ssl) : null;

    /// <summary>`--ssl` help: every mode with what its views do and what it needs.</summary>
    public static string OptionHelp =>
        $"SSL augmentation: none ({NoneHelp}); " + string.Join("; ", All.Select(a =>
            $"{a.Name} ({a.Title}: {a.Help}{(a.MinItemFeatures > 0 ? $"; needs {a.MinItemFeatures}+ item features" : "")})"));
}
