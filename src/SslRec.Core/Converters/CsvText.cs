namespace SslRec.Core.Converters;

internal static class CsvText
{
    /// <summary>Quotes a CSV field when it holds a comma, quote or line break.</summary>
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";

    /// <summary>Lower-case word tokens of a title (letters and digits), joined with '|'.</summary>
    public static string Words(string title) =>
        string.Join('|', title.ToLowerInvariant().Split(c => !char.IsLetterOrDigit(c)).Where(w => w.Length > 1).Distinct());

    private static string[] Split(this string s, Func<char, bool> separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= s.Length; i++)
            if (i == s.Length || separator(s[i]))
            {
                if (i > start) parts.Add(s[start..i]);
                start = i + 1;
            }
        return parts.ToArray();
    }

    /// <summary>Splits one CSV line (RFC 4180 quotes).</summary>
    public static List<string> ParseLine(string line)
    {
        var fields = new List<string>();
        var sb = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
