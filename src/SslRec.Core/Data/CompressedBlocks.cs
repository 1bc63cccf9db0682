using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using SslRec.Core.Input;
using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Core.Data;

/// <summary>
/// Encodes a gzip file on several cores although it can only be decompressed as one stream: one thread
/// decompresses and cuts the text into blocks of whole lines (about <see cref="DatasetReadOptions.ShardTargetBytes"/>
/// each), <see cref="DatasetReadOptions.Threads"/> workers encode blocks into shards, and the shards come
/// back in block order so the merged dataset is the same as from one pass. At most threads + 2 blocks
/// are held in memory. Errors name the block and count rows from its start.
/// </summary>
internal static class CompressedBlocks
{
    public static List<PartialShard> Encode(DatasetSchema schema, TextFormat format, IDataSource file, bool withCatalog, DatasetReadOptions options)
    {
        var threads = Math.Max(1, options.Threads);
        var blockBytes = (int)Math.Clamp(options.ShardTargetBytes, 1 << 16, 1 << 30);
        var columns = ShardEncoder.InteractionColumns(schema);
        var shards = new ConcurrentDictionary<int, PartialShard>();
        var errors = new ConcurrentDictionary<int, Exception>();
        using var stop = new CancellationTokenSource();
        using var blocks = new BlockingCollection<Block>(boundedCapacity: 1); // blocks in memory: one per worker, one queued, one filling

        var workers = Enumerable.Range(0, threads).Select(_ => Task.Run(() =>
        {
            foreach (var block in blocks.GetConsumingEnumerable())
            {
                try
                {
                    var name = $"{file.Name} (block {block.Index + 1}, uncompressed bytes {block.Start}–{block.End}; rows counted from the block start)";
                    using var reader = format.ReadText(new BlockText(block), name, columns, schema.Ignore, uncompressedOffsets: true);
                    shards[block.Index] = ShardEncoder.EncodeInteractions(reader, schema, withCatalog, options);
                }
                catch (Exception e)
                {
                    errors[block.Index] = e;
                    stop.Cancel();
                }
            }
        })).ToArray();

        try
        {
            Produce(format, file, blockBytes, blocks, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // a worker failed; its error is reported below
        }
        finally
        {
            blocks.CompleteAdding();
            Task.WaitAll(workers);
        }
        if (!errors.IsEmpty) ExceptionDispatchInfo.Throw(errors.MinBy(e => e.Key).Value);
        return shards.OrderBy(s => s.Key).Select(s => s.Value).ToList();
    }

    /// <summary>Text[..Length] is the header line (HeaderLength bytes, if any) and the lines at uncompressed offsets [Start, End) of the data.</summary>
    private sealed record Block(int Index, long Start, long End, byte[] Text, int Length, int HeaderLength);

    /// <summary>A block's text as a stream whose positions map to uncompressed offsets of the file (for errors).</summary>
    private sealed class BlockText(Block block) : MemoryStream(block.Text, 0, block.Length, writable: false), IFileOffsets
    {
        public long FileOffset(long position) => position < block.HeaderLength ? position : block.Start + position - block.HeaderLength;
    }

    /// <summary>Decompresses and hands out blocks of whole lines, each prefixed by the header line when the format has one.</summary>
    private static void Produce(TextFormat format, IDataSource file, int blockBytes, BlockingCollection<Block> blocks, CancellationToken stop)
    {
        using var input = new CheckedGzipStream(file.OpenRead(0, ReadPattern.Sequential), file.Name);
        var header = format.HasHeader ? LineRange.ReadHeader(input) : [];
        var carry = Array.Empty<byte>();
        long offset = header.Length;
        var index = 0;
        while (true)
        {
            var buffer = new byte[header.Length + carry.Length + blockBytes];
            header.CopyTo(buffer, 0);
            carry.CopyTo(buffer, header.Length);
            var filled = header.Length + carry.Length;
            int read;
            while (filled < buffer.Length && (read = input.Read(buffer, filled, buffer.Length - filled)) > 0) filled += read;
            var atEnd = filled < buffer.Length;
            var lastNewline = filled > header.Length ? Array.LastIndexOf(buffer, (byte)'\n', filled - 1, filled - header.Length) : -1;
            if (!atEnd && lastNewline < header.Length)
            {
                // one line longer than a block: read on into a larger block
                carry = buffer[header.Length..filled];
                blockBytes *= 2;
                continue;
            }
            var cut = atEnd ? filled : lastNewline + 1;
            carry = buffer[cut..filled];
            var end = offset + cut - header.Length;
            if (cut > header.Length) blocks.Add(new Block(index++, offset, end, buffer, cut, header.Length), stop);
            offset = end;
            if (atEnd) return;
        }
    }
}
