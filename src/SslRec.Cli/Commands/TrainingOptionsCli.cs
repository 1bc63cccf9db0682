using System.CommandLine;
using SslRec.Core.Options;

namespace SslRec.Cli.Commands;

/// <summary>
/// Command-line options made from training options' descriptors (<see cref="TrainingOptionDescriptors"/>):
/// flag and aliases, help, group and default come from the <see cref="TrainingOptions"/> property, and a
/// value is read as a retrain override's is (<see cref="OptionValues"/>: "1e3", "256,128", "none"), then
/// checked by <see cref="TrainingOptions.Validate"/>. `sslrec train` takes them all; `demo`, `experiment`
/// and `train-worker` the few they offer.
/// </summary>
public sealed class TrainingOptionsCli
{
    private readonly List<(OptionDescriptor Descriptor, Option<string> Option)> _options;

    private TrainingOptionsCli(IEnumerable<OptionDescriptor> descriptors) =>
        _options = descriptors.Select(d => (d, Create(d))).ToList();

    /// <summary>Every training option (`sslrec train`).</summary>
    public static TrainingOptionsCli All() => new(TrainingOptionDescriptors.All);

    /// <summary>Some training options, by property name: <c>For(nameof(TrainingOptions.Epochs))</c>.</summary>
    public static TrainingOptionsCli For(params string[] properties) => new(properties.Select(TrainingOptionDescriptors.Of));

    public IEnumerable<Option> Options => _options.Select(o => o.Option);

    /// <summary>Adds the options to a command, after those it already has; <paramref name="grouped"/>: `--help` lists them by <see cref="OptionGroup"/>.</summary>
    public void AddTo(Command command, bool grouped = false)
    {
        foreach (var (descriptor, option) in _options)
            command.Add(grouped ? option.InGroup(descriptor.Group) : option);
    }

    /// <summary>
    /// <paramref name="basis"/> (default: a new <see cref="TrainingOptions"/>) with the options given on the
    /// command line, validated. An option not given keeps the basis' value.
    /// </summary>
    /// <exception cref="ArgumentException">a value that is not of the option's type, out of its bounds, or a combination that cannot train</exception>
    public TrainingOptions Read(ParseResult parse, TrainingOptions? basis = null)
    {
        var options = basis ?? new TrainingOptions();
        foreach (var (descriptor, option) in _options)
            if (parse.GetResult(option) is { Implicit: false })
                options = descriptor.With(options, Parse(descriptor, parse.GetValue(option) ?? ""));
        options.Validate();
        return options;
    }

    private static object Parse(OptionDescriptor descriptor, string text)
    {
        try
        {
            return OptionValues.Parse(descriptor, text);
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(descriptor.Flag + " ", StringComparison.Ordinal))
        {
            // a type error ("\"x\" is not a valid whole number") says which flag; a range refusal names it already
            throw new ArgumentException($"{descriptor.Flag}: {e.Message}", e);
        }
    }

    private static Option<string> Create(OptionDescriptor d) =>
        new Option<string>(d.Flag, d.Aliases.Select(a => "--" + a).ToArray())
        {
            Description = d.Help,
            HelpName = d.ValueHint,
            DefaultValueFactory = _ => d.Text(d.DefaultValue),
        };
}
