using System.Buffers;
using System.Text;
using System.Text.Json;

namespace SslRec.Core.Reading;

/// <summary>
/// JSON Lines: one object per line. Values may be strings, numbers or booleans; a multi-valued feature may
/// be an array of those or a separator-joined string; null or absent means missing. Unknown keys are
/// errors unless ignored, so a misspelt field is reported rather than silently dropped.
/// </summary>
public sealed class JsonlRowReader : IRowReader
{
    private readonly LineReader _lines;
    private readonly IReadOnlyList<ColumnRequest> _columns;
    private readonly byte[][] _utf8Names;
    private readonly byte[][] _utf8Ignored;
    private readonly (int Start, int Length)[] _values;
    private byte[] _bytes = new byte[4096];
    private char[] _text = new char[4096];
    private int _textLength;

    public string FilePath { get; }
    public long Row => _lines.LineNumber;
    private bool _textChecked;

    public JsonlRowReader(string filePath, LineReader lines, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored)
    {
        FilePath = filePath;
        _lines = lines;
        _columns = columns;
        _utf8Names = columns.Select(c => Encoding.UTF8.GetBytes(c.Name)).ToArray();
        _utf8Ignored = ignored.Select(Encoding.UTF8.GetBytes).ToArray();
        _values = new (int, int)[columns.Count];
    }

    public bool HasColumn(int column) => true;

    public ReadOnlySpan<char> Get(int column)
    {
        var (start, length) = _values[column];
        return _text.AsSpan(start, length);
    }

    public bool Read()
    {
        while (_lines.TryReadLine(out var line))
        {
            if (line.IsWhiteSpace()) continue;
            if (!_textChecked && BinaryText.LooksBinary(line)) throw BinaryText.Error(FilePath, Row, "JSON Lines");
            _textChecked = true;
            Parse(line);
            return true;
        }
        return false;
    }

    private void Parse(ReadOnlySpan<char> line)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(line.Length);
        if (_bytes.Length < byteCount) _bytes = new byte[byteCount];
        var n = Encoding.UTF8.GetBytes(line, _bytes);
        Array.Clear(_values);
        _textLength = 0;
        var reader = new Utf8JsonReader(_bytes.AsSpan(0, n));
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Error(null, "each line must be one JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var slot = FindSlot(ref reader);
                if (slot == -1) throw Error(reader.GetString(), "unknown field: declare it in schema.json or list it under \"ignore\"");
                reader.Read();
                if (slot == -2) { reader.Skip(); continue; }
                ReadValue(ref reader, slot);
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw Error(null, "unexpected content after the JSON object");
        }
        catch (JsonException e)
        {
            throw Error(null, $"invalid JSON: {e.Message}");
        }
    }

    private int FindSlot(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < _utf8Names.Length; i++)
            if (reader.ValueTextEquals(_utf8Names[i])) return i;
        foreach (var ignored in _utf8Ignored)
            if (reader.ValueTextEquals(ignored)) return -2;
        return -1;
    }

    private void ReadValue(ref Utf8JsonReader reader, int slot)
    {
        var column = _columns[slot];
        var start = _textLength;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                break;
            case JsonTokenType.StartArray:
                if (column.MultiSeparator is not { } sep)
                    throw Error(column.Name, "expected a single value for a categorical feature, found an array");
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.Null) continue;
                    if (!first) Append(sep);
                    var before = _textLength;
                    AppendScalar(ref reader, column.Name);
                    if (_text.AsSpan(before, _textLength - before).Contains(sep))
                        throw Error(column.Name, $"an array element contains the separator '{sep}'");
                    first = false;
                }
                break;
            default:
                AppendScalar(ref reader, column.Name);
                break;
        }
        _values[slot] = (start, _textLength - start);
    }

    private void AppendScalar(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var len = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                Ensure(len);
                _textLength += reader.CopyString(_text.AsSpan(_textLength));
                break;
            case JsonTokenType.Number:
            case JsonTokenType.True:
            case JsonTokenType.False:
                var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                Ensure(raw.Length);
                _textLength += Encoding.UTF8.GetChars(raw, _text.AsSpan(_textLength));
                break;
            default:
                throw Error(field, $"expected a string, number or boolean, found {Describe(reader.TokenType)}");
        }
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a nested array",
        _ => t.ToString(),
    };

    private void Append(char c)
    {
        Ensure(1);
        _text[_textLength++] = c;
    }

    private void Ensure(int extra)
    {
        if (_textLength + extra > _text.Length) Array.Resize(ref _text, Math.Max(_text.Length * 2, _textLength + extra));
    }

    private DataFormatException Error(string? field, string problem) => new(FilePath, Row, field, problem);

    public void Dispose() => _lines.Dispose();
}
