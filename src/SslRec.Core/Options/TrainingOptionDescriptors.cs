using System.Reflection;

namespace SslRec.Core.Options;

/// <summary>
/// Every training option's <see cref="OptionDescriptor"/>, in the order <see cref="TrainingOptions"/> declares
/// them: what `sslrec train` offers, what a retrain may override, what <see cref="TrainingOptions.Validate"/>
/// bounds and what metrics.json records.
/// </summary>
public static class TrainingOptionDescriptors
{
    public static IReadOnlyList<OptionDescriptor> All { get; } = typeof(TrainingOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .OrderBy(p => p.MetadataToken) // declaration order
        .Select(p => p.GetCustomAttribute<TrainingOptionAttribute>() is { } a ? new OptionDescriptor(p, a)
            : throw new InvalidOperationException($"TrainingOptions.{p.Name} has no [TrainingOption]: describe it (group, help, bounds) where it is declared"))
        .ToList();

    /// <summary>The options a retrain message may set (not the deployment's checkpoint cadence or a step limit).</summary>
    public static IEnumerable<OptionDescriptor> RetrainSettable => All.Where(o => o.RetrainCanSet);

    /// <summary>The option of a property: <c>Of(nameof(TrainingOptions.Epochs))</c>.</summary>
    public static OptionDescriptor Of(string property) =>
        All.SingleOrDefault(o => o.Property.Name == property) ?? throw new ArgumentException($"TrainingOptions has no property {property}");

    /// <summary>The option a user's spelling names (any of its names, any case, with or without dashes), or null.</summary>
    public static OptionDescriptor? Find(string spelling) => All.FirstOrDefault(o => o.IsNamedBy(spelling));

    /// <summary>
    /// Every option under its metrics.json key (<see cref="OptionDescriptor.JsonName"/>), as metrics.json's
    /// "config" records it: a run's metrics say everything it was trained with, and a retrain can name any
    /// key it finds there.
    /// </summary>
    public static Dictionary<string, object> Recorded(TrainingOptions options) => All.ToDictionary(o => o.JsonName, o => o.Recorded(options));
}
