using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;
using System.Text;
using SslRec.Core.Options;

namespace SslRec.Cli.Commands;

/// <summary>
/// `--help` for commands whose options are grouped (`sslrec train`: data, model, SSL, optimizer, evaluation,
/// run), one section per <see cref="OptionGroup"/>; other commands keep System.CommandLine's help. Its own
/// help writer is internal since 2.0, so the help option's action is replaced, and hands commands without
/// groups back to the original.
/// </summary>
public static class GroupedHelp
{
    private const int Width = 120;

    private static readonly ConditionalWeakTable<Option, StrongBox<OptionGroup>> Groups = new();

    /// <summary>Lists the option under <paramref name="group"/> in `--help`.</summary>
    public static T InGroup<T>(this T option, OptionGroup group) where T : Option
    {
        Groups.AddOrUpdate(option, new StrongBox<OptionGroup>(group));
        return option;
    }

    /// <summary>Makes `--help` group the options of commands that have groups.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new GroupedHelpAction((SynchronousCommandLineAction)help.Action!);
    }

    /// <summary>The grouped help of a command: description, usage, then its options section by section.</summary>
    public static string Render(Command command)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrEmpty(command.Description)) sb.Append("Description:\n  ").Append(command.Description).Append("\n\n");
        sb.Append("Usage:\n  ").Append(CommandPath(command)).Append(" [options]\n");
        var options = command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
            .Where(o => !o.Hidden).Distinct().ToList();
        var rows = options.Select(o => (Group: GroupOf(o), First: FirstColumn(o), Second: SecondColumn(o))).ToList();
        var firstWidth = Math.Min(rows.Max(r => r.First.Length), 44);
        foreach (var section in rows.GroupBy(r => r.Group).OrderBy(g => g.Key ?? (OptionGroup)int.MaxValue))
        {
            sb.Append('\n').Append(section.Key?.Title() ?? "Other options").Append(":\n");
            foreach (var (_, first, second) in section)
                AppendRow(sb, first, second, firstWidth);
        }
        return sb.ToString();
    }

    private static OptionGroup? GroupOf(Option o) => Groups.TryGetValue(o, out var box) ? box.Value : null;

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault()) names.Insert(0, s.Name);
        return string.Join(' ', names);
    }

    /// <summary>"-?, -h, --help", "--lr, --learning-rate &lt;lr&gt;": short names first, then the option's name, then its other names.</summary>
    private static string FirstColumn(Option o)
    {
        var names = new[] { o.Name }.Concat(o.Aliases.Where(a => !a.StartsWith('/')).Order(StringComparer.Ordinal)).OrderBy(n => n.StartsWith("--", StringComparison.Ordinal));
        return IsSwitch(o) ? string.Join(", ", names) : $"{string.Join(", ", names)} <{o.HelpName ?? o.Name.TrimStart('-')}>";
    }

    private static string SecondColumn(Option o)
    {
        var text = o.Description ?? "";
        if (o.Required) text += " (REQUIRED)";
        else if (!IsSwitch(o) && o.HasDefaultValue && o.GetDefaultValue() is { } value && value.ToString() is { Length: > 0 } shown)
            text += $" [default: {shown}]";
        return text;
    }

    /// <summary>An option given without a value (--resume, --help).</summary>
    private static bool IsSwitch(Option o) => o.Arity.MaximumNumberOfValues == 0 || o.ValueType == typeof(bool);

    /// <summary>"  first   second", the second column wrapped at word boundaries under itself.</summary>
    private static void AppendRow(StringBuilder sb, string first, string second, int firstWidth)
    {
        var indent = 2 + firstWidth + 2;
        sb.Append("  ").Append(first);
        var column = 2 + first.Length;
        if (column > indent - 2) { sb.Append('\n'); column = 0; }
        var line = new StringBuilder();
        foreach (var word in second.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && indent + line.Length + 1 + word.Length > Width)
            {
                sb.Append(' ', indent - column).Append(line).Append('\n');
                line.Clear();
                column = 0;
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        sb.Append(' ', indent - column).Append(line).Append('\n');
    }

    private sealed class GroupedHelpAction(SynchronousCommandLineAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true; // `sslrec train --help` without the required --data is help, not an error

        public override int Invoke(ParseResult parse)
        {
            var command = parse.CommandResult.Command;
            if (!command.Options.Any(o => GroupOf(o) is not null)) return standard.Invoke(parse);
            parse.InvocationConfiguration.Output.Write(Render(command));
            return 0;
        }
    }
}
