using System.Globalization;
using System.Reflection;
using System.Text;

namespace SslRec.Core.Options;

/// <summary>
/// One training option as every entry point sees it, read from its <see cref="TrainingOptions"/> property and
/// that property's <see cref="TrainingOptionAttribute"/>: its names (CLI flag, aliases, metrics.json key),
/// group, help, default, bounds, and how a value is read (<see cref="OptionValues"/>), checked, written into
/// an options record and recorded. <see cref="TrainingOptionDescriptors"/> holds them all.
/// </summary>
public sealed class OptionDescriptor
{
    private static readonly TrainingOptions Defaults = new();

    internal OptionDescriptor(PropertyInfo property, TrainingOptionAttribute attribute)
    {
        Property = property;
        Attribute = attribute;
        var kebab = Kebab(property.Name);
        Name = attribute.Cli ?? kebab;
        Aliases = Name == kebab ? [] : [kebab];
        JsonName = attribute.Json ?? kebab.Replace('-', '_');
        ElementType = property.PropertyType.IsArray ? property.PropertyType.GetElementType()! : property.PropertyType;
        Range = double.IsNaN(attribute.Min)
            ? null
            : new OptionRange(Flag, attribute.Min, attribute.Max, attribute.Why ?? throw new InvalidOperationException($"{property.Name}: bounds need a reason (Why)"),
                Integer: ElementType != typeof(double), attribute.MinExclusive, attribute.MaxExclusive);
        DefaultValue = property.GetValue(Defaults);
    }

    public PropertyInfo Property { get; }
    public TrainingOptionAttribute Attribute { get; }

    /// <summary>The CLI name without dashes: batch-size, lr.</summary>
    public string Name { get; }

    /// <summary>The CLI flag: --batch-size, --lr.</summary>
    public string Flag => "--" + Name;

    /// <summary>Other CLI names without dashes: learning-rate for --lr.</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>The key in metrics.json's config and in retrain messages: batch_size, learning_rate, dropout.</summary>
    public string JsonName { get; }

    public OptionGroup Group => Attribute.Group;
    /// <summary>The help line; --ssl's lists the augmentations the registry holds, with what each needs.</summary>
    public string Help => Property.Name == nameof(TrainingOptions.Ssl) ? Ssl.SslAugmentations.OptionHelp : Attribute.Help;
    public bool RetrainCanSet => Attribute.Retrain;

    /// <summary>The property's type, or its element type for a list.</summary>
    public Type ElementType { get; }

    public bool IsList => Property.PropertyType.IsArray;

    /// <summary>The range of the value, or of each element of a list; null for options without one.</summary>
    public OptionRange? Range { get; }

    /// <summary>The value of a new <see cref="TrainingOptions"/>.</summary>
    public object? DefaultValue { get; }

    /// <summary>
    /// Whether a user's spelling names this option: case, leading dashes, '-' and '_' do not matter, and the
    /// property, CLI, alias and metrics.json names all count (lr, learning_rate, LearningRate and --lr).
    /// </summary>
    public bool IsNamedBy(string spelling)
    {
        var key = Normalize(spelling);
        return key.Length > 0 && new[] { Property.Name, Name, JsonName }.Concat(Aliases).Any(n => Normalize(n) == key);
    }

    public object? Get(TrainingOptions options) => Property.GetValue(options);

    /// <summary>A copy of <paramref name="options"/> with this option set to <paramref name="value"/> (of the property's type).</summary>
    public TrainingOptions With(TrainingOptions options, object? value)
    {
        var copy = options with { };
        Property.SetValue(copy, value); // an init accessor, called on a fresh copy: the record stays immutable to its users
        return copy;
    }

    /// <summary>Refuses a value (or list element) outside <see cref="Range"/>, naming the flag, the range and why.</summary>
    public void CheckBounds(TrainingOptions options)
    {
        if (Range is null) return;
        switch (Get(options))
        {
            case int[] values: foreach (var v in values) Range.Check(v); break;
            case double[] values: foreach (var v in values) Range.Check(v); break;
            case IConvertible v: Range.Check(v.ToDouble(CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>The value as metrics.json records it: enums as lower-case names (as the CLI takes them), lists as arrays.</summary>
    public object Recorded(TrainingOptions options) => Get(options) switch
    {
        Enum e => e.ToString().ToLowerInvariant(),
        var v => v!,
    };

    /// <summary>The value as a user would type it: "cfm", "256,128", "0.003".</summary>
    public string Text(object? value) => value switch
    {
        Enum e => e.ToString().ToLowerInvariant(),
        Array a => string.Join(',', a.Cast<IFormattable>().Select(v => v.ToString(null, CultureInfo.InvariantCulture))),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v?.ToString() ?? "",
    };

    /// <summary>What `--help` shows as the value's name: the choices of an enum, or a list's shape.</summary>
    public string ValueHint => ElementType.IsEnum
        ? string.Join('|', Enum.GetNames(ElementType).Select(n => n.ToLowerInvariant()))
        : IsList ? "a,b,…" : Name;

    public override string ToString() => Flag;

    private static string Normalize(string s) =>
        new(s.TrimStart('-').Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant).ToArray());

    private static string Kebab(string pascal)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
