namespace SslRec.Core.Reading;

/// <summary>
/// Delimited text (CSV with ',' or TSV with tab) with a header row. Quotes follow RFC 4180 ("" inside a
/// quoted field is a quote); a quoted field may not span lines, so every row is one line and a file can
/// be split at any line boundary. Columns not requested must be listed as ignored, so a typo in a
/// header is reported instead of silently dropping a feature.
/// </summary>
public sealed class CsvRowReader : IRowReader
{
    private readonly LineReader _lines;
    private readonly char _delimiter;
    private readonly int[] _slotToField;          // requested slot → field index in the file, or -1
    private readonly string[] _slotNames;
    private readonly int _fieldCount;
    private readonly (int Start, int Length, bool Quoted)[] _fields;
    private char[] _line = new char[1024];
    private int _lineLength;
    private char[] _unquoted = new char[256];

    public string FilePath { get; }
    public long Row => _lines.LineNumber;

    public CsvRowReader(string filePath, LineReader lines, char delimiter, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored)
    {
        FilePath = filePath;
        _delimiter = delimiter;
        _lines = lines;
        _slotNames = columns.Select(c => c.Name).ToArray();
        if (!_lines.TryReadLine(out var header))
            throw new DataFormatException(filePath, 1, null, "the file is empty (a header row is required)");
        if (BinaryText.LooksBinary(header)) throw BinaryText.Error(filePath, 1, delimiter == ',' ? "CSV" : "TSV");
        var names = new List<string>();
        CopyLine(header);
        var headerFields = new (int, int, bool)[_lineLength + 1];
        var headerCount = SplitInto(headerFields);
        foreach (var (start, length, quoted) in headerFields.AsSpan(0, headerCount))
            names.Add(FieldText(start, length, quoted).Trim().ToString());
        _fieldCount = names.Count;
        _fields = new (int, int, bool)[_fieldCount];

        _slotToField = new int[columns.Count];
        for (var s = 0; s < columns.Count; s++) _slotToField[s] = names.IndexOf(columns[s].Name);
        for (var i = 0; i < names.Count; i++)
        {
            if (names.IndexOf(names[i]) != i)
                throw new DataFormatException(filePath, 1, names[i], "the header names this column twice");
            if (!_slotNames.Contains(names[i]) && !ignored.Contains(names[i]))
                throw new DataFormatException(filePath, 1, names[i], "unknown column: declare it in schema.json or list it under \"ignore\"");
        }
    }

    public bool HasColumn(int column) => _slotToField[column] >= 0;

    public bool Read()
    {
        while (_lines.TryReadLine(out var line))
        {
            if (line.IsWhiteSpace()) continue;
            CopyLine(line);
            var count = SplitInto(_fields);
            if (count != _fieldCount)
                throw new DataFormatException(FilePath, Row, null, $"expected {_fieldCount} fields as in the header, found {count}");
            return true;
        }
        return false;
    }

    /// <summary>The column's text; a quoted field with "" escapes is unescaped into a scratch buffer that the next Get reuses.</summary>
    public ReadOnlySpan<char> Get(int column)
    {
        var f = _slotToField[column];
        if (f < 0) return default;
        var (start, length, quoted) = _fields[f];
        return FieldText(start, length, quoted).Trim();
    }

    private void CopyLine(ReadOnlySpan<char> line)
    {
        if (line.Length > _line.Length) _line = new char[Math.Max(line.Length, _line.Length * 2)];
        line.CopyTo(_line);
        _lineLength = line.Length;
    }

    /// <summary>Splits the current line into field ranges; returns the number of fields (may exceed the array).</summary>
    private int SplitInto((int Start, int Length, bool Quoted)[] fields)
    {
        var s = _line.AsSpan(0, _lineLength);
        var count = 0;
        var i = 0;
        while (true)
        {
            int start, length;
            var quoted = false;
            // skip leading spaces before an opening quote
            var j = i;
            while (j < s.Length && s[j] == ' ') j++;
            if (j < s.Length && s[j] == '"')
            {
                quoted = true;
                start = j + 1;
                var k = start;
                while (true)
                {
                    var q = s[k..].IndexOf('"');
                    if (q < 0) throw new DataFormatException(FilePath, Row, null, $"unterminated quote in field {count + 1}");
                    k += q;
                    if (k + 1 < s.Length && s[k + 1] == '"') { k += 2; continue; }
                    break;
                }
                length = k - start;
                i = k + 1;
                while (i < s.Length && s[i] == ' ') i++;
                if (i < s.Length && s[i] != _delimiter)
                    throw new DataFormatException(FilePath, Row, null, $"unexpected text after the closing quote of field {count + 1}");
            }
            else
            {
                start = i;
                var d = s[i..].IndexOf(_delimiter);
                length = d < 0 ? s.Length - i : d;
                i += length;
            }
            if (count < fields.Length) fields[count] = (start, length, quoted);
            count++;
            if (i >= s.Length) return count;
            i++; // skip delimiter
            if (i == s.Length)
            {
                if (count < fields.Length) fields[count] = (i, 0, false);
                return count + 1;
            }
        }
    }

    private ReadOnlySpan<char> FieldText(int start, int length, bool quoted)
    {
        var raw = _line.AsSpan(start, length);
        if (!quoted || raw.IndexOf('"') < 0) return raw;
        if (_unquoted.Length < length) _unquoted = new char[length * 2];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            _unquoted[n++] = raw[i];
            if (raw[i] == '"') i++; // "" → "
        }
        return _unquoted.AsSpan(0, n);
    }

    public void Dispose() => _lines.Dispose();
}
