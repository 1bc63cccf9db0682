namespace SslRec.Core.Input;

/// <summary>
/// One data file wherever it is stored: a local file (<see cref="LocalFileSource"/>) or a blob (the pipeline's
/// BlobDataSource). The input formats plan and read through this alone, so the local `sslrec train` and the
/// pipeline's drop and map stages run the same planning and reading code.
/// </summary>
public interface IDataSource
{
    /// <summary>How errors and logs name the file (a local path, or "datasets/shop/v1/a.csv"); its ending also selects the format.</summary>
    string Name { get; }

    /// <summary>The stored size in bytes.</summary>
    long Length { get; }

    /// <summary>A read-only stream of the stored bytes from <paramref name="position"/> on; seekable where <paramref name="pattern"/> is <see cref="ReadPattern.Random"/>.</summary>
    Stream OpenRead(long position, ReadPattern pattern);
}

/// <summary>How a stream will be read, so a source can size its buffering (a blob download, an OS read-ahead hint).</summary>
public enum ReadPattern
{
    /// <summary>On to the end of a range or of the file.</summary>
    Sequential,
    /// <summary>Seeking back and forth (Parquet: the footer first, then the column chunks it points to).</summary>
    Random,
    /// <summary>A few bytes at the start only (a header line): a large read-ahead would be wasted.</summary>
    Peek,
}
