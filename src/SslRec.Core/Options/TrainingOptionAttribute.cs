namespace SslRec.Core.Options;

/// <summary>
/// Describes one <see cref="TrainingOptions"/> property where it is declared: its help text, its group in
/// `sslrec train --help`, its bounds and its spellings. <see cref="OptionDescriptor"/> reads it, and from it
/// come the CLI options, the retrain overrides and their checks, <see cref="TrainingOptions.Validate"/>'s
/// bounds and the config recorded in metrics.json — so a new option is its property and this attribute.
/// </summary>
/// <param name="group">where `--help` lists the option</param>
/// <param name="help">one line for `--help`</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class TrainingOptionAttribute(OptionGroup group, string help) : Attribute
{
    public OptionGroup Group { get; } = group;
    public string Help { get; } = help;

    /// <summary>The CLI name (without dashes) when it is not the property in kebab case: "lr" for LearningRate. The kebab name stays an alias.</summary>
    public string? Cli { get; set; }

    /// <summary>The metrics.json key when it is not the property in snake case ("dropout" for DropoutRate): recorded keys are a contract.</summary>
    public string? Json { get; set; }

    /// <summary>Lowest value (of each element, for a list); with <see cref="Max"/> and <see cref="Why"/>, or no bounds at all (NaN).</summary>
    public double Min { get; set; } = double.NaN;

    /// <summary>Highest value (of each element, for a list).</summary>
    public double Max { get; set; } = double.NaN;

    public bool MinExclusive { get; set; }
    public bool MaxExclusive { get; set; }

    /// <summary>Why the bounds are what they are, shown with a refused value: "--epochs must be 1..10,000 (why); got …".</summary>
    public string? Why { get; set; }

    /// <summary>
    /// False for options that belong to the deployment or the process, not to a model (checkpoint cadence, a
    /// step limit): a retrain message cannot set them.
    /// </summary>
    public bool Retrain { get; set; } = true;
}
