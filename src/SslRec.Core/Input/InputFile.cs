using SslRec.Core.Reading;

namespace SslRec.Core.Input;

/// <summary>A data file and the format its name calls for: where planning a map shard and reading it start, locally or from a blob.</summary>
public sealed class InputFile(IDataSource source)
{
    public IDataSource Source { get; } = source;

    /// <summary>Chosen by the name's ending; a name of no format is refused here (<see cref="InputFormats.For"/>).</summary>
    public InputFormat Format { get; } = InputFormats.For(source.Name);

    public string Name => Source.Name;

    public static InputFile Local(string path) => new(new LocalFileSource(path));

    /// <summary>The file's map shards, each about <paramref name="shardTargetBytes"/> of input.</summary>
    public IReadOnlyList<InputRange> Plan(long shardTargetBytes) => Format.Plan(Source, shardTargetBytes);

    public IRowReader Open(InputRange range, IReadOnlyList<ColumnRequest> columns, IReadOnlySet<string> ignored) =>
        Format.Open(Source, range, columns, ignored);
}
