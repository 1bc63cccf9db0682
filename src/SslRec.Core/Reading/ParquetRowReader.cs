using System.Globalization;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace SslRec.Core.Reading;

/// <summary>
/// Rows of a Parquet file (or of a range of its row groups, one map shard). String and integer columns
/// are categorical values; a list of strings or integers is a multi-valued feature (its elements joined by
/// the feature's separator, as in CSV). A row group is read column by column into one text arena per
/// column, then handed out row by row. As in CSV, a top-level column that schema.json neither declares nor
/// ignores is an error. Row numbers count the file's rows from 1; errors name the row groups read.
/// Parquet strings are UTF-8 by the format's spec, but Parquet.Net decodes invalid bytes to U+FFFD without
/// a word (measured: "caf\xE9" reads as "caf\uFFFD", as does "caf\xE8"), and gives no access to the
/// bytes; so a string value holding U+FFFD is an unusable row, naming file, row and column.
/// </summary>
public sealed class ParquetRowReader : IRowReader
{
    private readonly Stream _stream;
    private readonly ParquetReader _reader;
    private readonly ColumnText?[] _slots;
    private readonly int _endGroup;
    private readonly long[] _groupFirstRow;
    private int _group;
    private int _rowInGroup = -1;
    private int _groupRows;
    private int _nextReplacementRow = int.MaxValue; // the loaded group's next row with a U+FFFD in a string column

    public string FilePath { get; }
    public long Row => _groupFirstRow[Math.Min(_group, _groupFirstRow.Length - 1)] + _rowInGroup + 1;

    /// <param name="stream">readable and seekable (a file, or a blob's read stream: only the footer and the requested column chunks are fetched)</param>
    /// <param name="firstGroup">first row group to read</param>
    /// <param name="endGroup">row group to stop before (−1: the last)</param>
    public ParquetRowReader(Stream stream, string filePath, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored, int firstGroup = 0, int endGroup = -1)
    {
        _stream = stream;
        _reader = OpenFooter(stream, filePath);
        try
        {
            _endGroup = endGroup < 0 ? _reader.RowGroupCount : Math.Min(endGroup, _reader.RowGroupCount);
            FilePath = firstGroup == 0 && _endGroup == _reader.RowGroupCount ? filePath : $"{filePath} (row groups {firstGroup}–{_endGroup - 1})";
            _groupFirstRow = new long[_reader.RowGroupCount + 1];
            for (var g = 0; g < _reader.RowGroupCount; g++) _groupFirstRow[g + 1] = _groupFirstRow[g] + _reader.RowGroups[g].RowCount;
            _group = firstGroup - 1;

            var fields = _reader.Schema.Fields;
            foreach (var f in fields)
                if (!columns.Any(c => c.Name == f.Name) && !ignored.Contains(f.Name))
                    throw new DataFormatException(FilePath, 1, f.Name, "unknown column: declare it in schema.json or list it under \"ignore\"");
            _slots = columns.Select(c => fields.FirstOrDefault(f => f.Name == c.Name) is { } field ? ColumnText.For(field, c, FilePath) : null).ToArray();
        }
        catch
        {
            ParquetSyncBridge.Close(_reader);
            throw;
        }
    }

    /// <summary>Reads a file's footer (row groups, schema); a file that is not Parquet is refused naming it.</summary>
    internal static ParquetReader OpenFooter(Stream stream, string filePath)
    {
        try
        {
            return ParquetSyncBridge.OpenFooter(stream);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException($"{filePath}: not a readable Parquet file ({e.Message.Split('\n', 2)[0]})", e);
        }
    }

    public bool HasColumn(int column) => _slots[column] is not null;

    public ReadOnlySpan<char> Get(int column) => _slots[column] is { } c ? c.Text(_rowInGroup) : default;

    public bool Read()
    {
        _rowInGroup++;
        while (_rowInGroup >= _groupRows) // LoadGroup starts at the group's first row
        {
            if (_group + 1 >= _endGroup) return false;
            LoadGroup(++_group);
        }
        if (_rowInGroup == _nextReplacementRow) RefuseReplacementCharacter();
        return true;
    }

    /// <summary>Fails the current row (a bad row: with --max-bad-rows reading goes on at the next one).</summary>
    private void RefuseReplacementCharacter()
    {
        var slot = _slots.First(s => s is not null && s.Text(_rowInGroup).Contains(ReplacementCharacter))!;
        _nextReplacementRow = NextReplacementRow(_rowInGroup + 1);
        throw new DataFormatException(FilePath, Row, slot.Name,
            "a string that is not valid UTF-8 (Parquet strings must be UTF-8; the reader turns invalid bytes into U+FFFD, " +
            "the replacement character, so a value holding U+FFFD is refused): write the file from UTF-8 text");
    }

    private const char ReplacementCharacter = '\uFFFD';

    private int NextReplacementRow(int from)
    {
        var next = int.MaxValue;
        foreach (var slot in _slots)
            if (slot is not null) next = Math.Min(next, slot.FirstRowWith(ReplacementCharacter, from));
        return next;
    }

    private void LoadGroup(int group)
    {
        _rowInGroup = 0;
        var reader = _reader.OpenRowGroupReader(group);
        _groupRows = (int)reader.RowCount;
        foreach (var slot in _slots)
        {
            if (slot is null) continue;
            try
            {
                slot.Load(reader, _groupRows);
            }
            catch (Exception e) when (e is not (DataFormatException or OperationCanceledException))
            {
                throw new DataFormatException(FilePath, _groupFirstRow[group] + 1, slot.Name, $"row group {group} cannot be read ({e.Message.Split('\n', 2)[0]})");
            }
            if (slot.Rows != _groupRows)
                throw new DataFormatException(FilePath, _groupFirstRow[group] + 1, slot.Name, $"row group {group} has {slot.Rows} values of this column for {_groupRows} rows");
        }
        _nextReplacementRow = NextReplacementRow(0);
    }

    public void Dispose()
    {
        ParquetSyncBridge.Close(_reader);
        _stream.Dispose();
    }

    /// <summary>One requested column: its leaf field, and the text of each row of the loaded row group in one arena.</summary>
    private sealed class ColumnText
    {
        private readonly DataField _leaf;
        private readonly bool _repeated;
        private readonly char _separator;
        private char[] _chars = new char[4096];
        private int[] _rowStart = new int[1025];
        public string Name { get; }
        public int Rows { get; private set; }

        private ColumnText(string name, DataField leaf, bool repeated, char separator)
        {
            Name = name;
            _leaf = leaf;
            _repeated = repeated;
            _separator = separator;
        }

        public static ColumnText For(Field field, ColumnRequest request, string filePath)
        {
            var leaf = field switch
            {
                DataField d => d,
                ListField { Item: DataField item } => item,
                _ => throw new DataFormatException(filePath, 1, field.Name, $"a {field.SchemaType.ToString().ToLowerInvariant()} column cannot be read: SslRec reads string and integer columns, and lists of them"),
            };
            if (!(leaf.ClrType == typeof(string) || leaf.ClrType == typeof(ReadOnlyMemory<char>) || IsInteger(leaf.ClrType)))
                throw new DataFormatException(filePath, 1, field.Name, $"column type {leaf.ClrType.Name} cannot be used as a feature: SslRec reads string and integer columns (categorical) and lists of them (multi-valued)");
            var repeated = leaf.MaxRepetitionLevel > 0;
            if (repeated && request.MultiSeparator is null)
                throw new DataFormatException(filePath, 1, field.Name, "this column holds lists, but schema.json declares the feature categorical (declare it \"multi\")");
            if (leaf.MaxRepetitionLevel > 1)
                throw new DataFormatException(filePath, 1, field.Name, "nested lists cannot be read");
            return new ColumnText(field.Name, leaf, repeated, request.MultiSeparator ?? ',');
        }

        private static bool IsInteger(Type t) => t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte) || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong);

        public ReadOnlySpan<char> Text(int row) => _chars.AsSpan(_rowStart[row], _rowStart[row + 1] - _rowStart[row]);

        /// <summary>The first row at or after <paramref name="from"/> whose text holds <paramref name="c"/> (int.MaxValue: none): one vectorised scan of the arena.</summary>
        public int FirstRowWith(char c, int from)
        {
            if (from >= Rows) return int.MaxValue;
            var at = _chars.AsSpan(_rowStart[from], _rowStart[Rows] - _rowStart[from]).IndexOf(c);
            if (at < 0) return int.MaxValue;
            // the row holding it: the last row starting at or before it (empty rows start where the next one does)
            var position = _rowStart[from] + at;
            int lo = from, hi = Rows; // _rowStart[lo] <= position < _rowStart[hi]
            while (hi - lo > 1)
            {
                var mid = (lo + hi) >>> 1;
                if (_rowStart[mid] <= position) lo = mid;
                else hi = mid;
            }
            return lo;
        }

        public void Load(ParquetRowGroupReader group, int groupRows)
        {
            using var raw = ParquetSyncBridge.ReadColumn(group, _leaf);
            switch (raw)
            {
                case RawColumnData<ReadOnlyMemory<char>> s: Fill(s, groupRows, (v, into) => Copy(v.Span, into)); break;
                case RawColumnData<long> l: Fill(l, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<int> i: Fill(i, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<short> h: Fill(h, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<byte> b: Fill(b, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<sbyte> sb: Fill(sb, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<ushort> us: Fill(us, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<uint> ui: Fill(ui, groupRows, (v, into) => Format(v, into)); break;
                case RawColumnData<ulong> ul: Fill(ul, groupRows, (v, into) => Format(v, into)); break;
                default: throw new InvalidDataException($"unexpected column data {raw.GetType().Name}");
            }
        }

        private delegate int Writer<T>(T value, Span<char> into);

        private static int Copy(ReadOnlySpan<char> value, Span<char> into)
        {
            if (value.Length > into.Length) return -1;
            value.CopyTo(into);
            return value.Length;
        }

        private static int Format<T>(T value, Span<char> into) where T : ISpanFormattable =>
            value.TryFormat(into, out var written, default, CultureInfo.InvariantCulture) ? written : -1;

        /// <summary>
        /// Walks the column's slots: a slot with the full definition level holds the next value; a lower one is
        /// a null (or an empty list). In a list column a repetition level of 0 starts a new row.
        /// </summary>
        private void Fill<T>(RawColumnData<T> raw, int groupRows, Writer<T> write) where T : struct
        {
            var values = raw.Values;
            var maxDefinition = _leaf.MaxDefinitionLevel;
            var definitions = maxDefinition > 0 ? raw.DefinitionLevels : default;
            var repetitions = _repeated ? raw.RepetitionLevels : default;
            var slots = maxDefinition > 0 ? definitions.Length : groupRows; // a required, flat column has one value per row
            var length = 0;
            var rows = 0;
            var next = 0; // next unread value
            var valuesInRow = 0;
            for (var slot = 0; slot < slots; slot++)
            {
                if (!_repeated || repetitions[slot] == 0)
                {
                    if (rows + 2 > _rowStart.Length) Array.Resize(ref _rowStart, _rowStart.Length * 2);
                    _rowStart[rows++] = length;
                    valuesInRow = 0;
                }
                if (maxDefinition > 0 && definitions[slot] < maxDefinition) continue;
                var value = values[next++];
                while (true)
                {
                    var at = length + (valuesInRow > 0 ? 1 : 0);
                    var written = at < _chars.Length ? write(value, _chars.AsSpan(at)) : -1;
                    if (written >= 0)
                    {
                        if (valuesInRow > 0) _chars[length] = _separator;
                        length = at + written;
                        break;
                    }
                    Array.Resize(ref _chars, _chars.Length * 2);
                }
                valuesInRow++;
            }
            _rowStart[rows] = length;
            Rows = rows;
        }
    }
}
