namespace SslRec.Pipeline.Stages;

/// <summary>
/// Items consumed strictly in order while the next few are read: a merge whose result depends on order (the
/// header step's corpus, a partition's shards) keeps it, and the reads' latencies and parsing overlap it.
/// </summary>
internal static class ReadAhead
{
    /// <param name="ahead">how many reads run ahead of the item being consumed (at least 1)</param>
    public static async Task ForEachInOrderAsync<T>(int count, int ahead, Func<int, Task<T>> read, Func<int, T, Task> consume)
    {
        var reads = new Task<T>?[count];
        for (var i = 0; i < Math.Min(ahead, count); i++) reads[i] = read(i);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var item = await reads[i]!;
                reads[i] = null;
                if (i + ahead < count) reads[i + ahead] = read(i + ahead);
                await consume(i, item);
            }
        }
        finally
        {
            // a failed read or consumer leaves no read running behind it (their own failures are not the first one)
            await Task.WhenAll(reads.OfType<Task>().Select(t => t.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)));
        }
    }
}
