using System.Text;

namespace SslRec.Pipeline;

/// <summary>
/// The one naming rule for dataset and version names, wherever a name enters (`sslrec drop`, `sslrec
/// retrain`, the BlobCreated event of a _READY blob, the unclaimed-drop scan, a retrain message), and the
/// one place run ids and retrain model versions are built.
/// A name is 1–63 ASCII letters, digits, '-', '_' and '.', not starting with '.': it becomes a blob path
/// segment, a model name and part of file names, so it must be typeable, need no escaping and never
/// contain '/'. Run ids join names with '@', which names cannot contain, so they cannot collide: dataset
/// "col.a" version "v1" is run "col.a@v1", dataset "col" version "a.v1" is "col@a.v1" (with '.' as the
/// joint, both were "col.a.v1" and the second dataset was dropped as a duplicate).
/// </summary>
public static class DatasetNames
{
    public const int MaxLength = 63;

    /// <summary>Joins the parts of a run id; names cannot contain it.</summary>
    public const char Joint = '@';

    public const string Rule = "a name is 1–63 ASCII letters, digits, '-', '_' or '.', not starting with '.'";

    /// <summary>Why <paramref name="name"/> breaks the rule, or null when it follows it.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > MaxLength) return $"it has {name.Length} characters";
        if (name[0] == '.') return "it starts with '.'";
        for (var i = 0; i < name.Length; i++)
            if (!IsAllowed(name[i]))
                return $"it contains {Describe(name[i])} at position {i + 1}";
        return null;
    }

    public static bool IsValid(string name) => Problem(name) is null;

    /// <summary>The error for a name that breaks the rule, e.g. "dataset 'my data': it contains a space at position 3 (a name is …)".</summary>
    public static string Refusal(string what, string name) => $"{what} {Quote(name)}: {Problem(name)} ({Rule})";

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="what"/> (e.g. "--dataset") when the name breaks the rule.</summary>
    public static void Validate(string name, string what)
    {
        if (Problem(name) is not null) throw new ArgumentException(Refusal(what, name));
    }

    /// <summary>The run of a dropped dataset version: "{dataset}@{version}".</summary>
    public static string RunId(string dataset, string version) => $"{Checked(dataset)}{Joint}{Checked(version)}";

    /// <summary>A retrain's run: "{dataset}@{version}@retrain-{suffix}" (a dropped version's run has one '@', a retrain's two).</summary>
    public static string RetrainRunId(string dataset, string version, string suffix) => $"{RunId(dataset, version)}{Joint}retrain-{Checked(suffix)}";

    /// <summary>
    /// The model version a retrain publishes: "{version}@retrain-{suffix}". A dropped version cannot be
    /// called that, so a retrain never publishes into a dropped version's folder (with "-retrain-" it could).
    /// </summary>
    public static string RetrainModelVersion(string version, string suffix) => $"{Checked(version)}{Joint}retrain-{Checked(suffix)}";

    /// <summary>
    /// The id runs had before ids used '@' ("{dataset}.{version}", not injective): the unclaimed-drop scan
    /// and the drop stage look it up, so versions processed before the change are not processed again.
    /// </summary>
    public static string LegacyRunId(string dataset, string version) => $"{dataset}.{version}";

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

    private static string Checked(string name) =>
        Problem(name) is null ? name : throw new ArgumentException(Refusal("name", name), nameof(name));

    /// <summary>A name for a message: quoted, control characters escaped, cut after 40 characters (a 200-character name is not repeated whole).</summary>
    public static string Quote(string name)
    {
        var shown = new StringBuilder("'");
        foreach (var c in name.Length > 40 ? name[..40] : name)
            shown.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        shown.Append(name.Length > 40 ? "…'" : "'");
        return shown.ToString();
    }

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '/' => "'/'",
        _ when char.IsControl(c) => $"the control character U+{(int)c:X4}",
        _ when char.IsAscii(c) => $"'{c}'",
        _ => $"the non-ASCII character '{c}' (U+{(int)c:X4})",
    };
}
