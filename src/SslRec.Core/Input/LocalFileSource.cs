namespace SslRec.Core.Input;

/// <summary>A data file on the local file system (`sslrec train`, `sslrec convert`).</summary>
public sealed class LocalFileSource(string path) : IDataSource
{
    public string Name => path;

    public long Length => new FileInfo(path).Length;

    public Stream OpenRead(long position, ReadPattern pattern)
    {
        var stream = pattern == ReadPattern.Peek
            ? File.OpenRead(path)
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
                pattern == ReadPattern.Random ? FileOptions.RandomAccess : FileOptions.SequentialScan);
        stream.Position = position;
        return stream;
    }
}
