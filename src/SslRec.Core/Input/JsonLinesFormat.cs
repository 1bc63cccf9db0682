using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>JSON Lines (.jsonl, or .ndjson as some exporters name it): one JSON object a line, no header (<see cref="JsonlRowReader"/>).</summary>
public sealed class JsonLinesFormat : TextFormat
{
    public static readonly JsonLinesFormat Instance = new();

    private JsonLinesFormat() { }

    public override string Name => "JSON Lines";
    public override IReadOnlyList<string> Extensions { get; } = [".jsonl", ".ndjson"];
    public override bool HasHeader => false;

    protected override IRowReader ReadLines(string name, LineReader lines, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        new JsonlRowReader(name, lines, columns, ignored);
}
