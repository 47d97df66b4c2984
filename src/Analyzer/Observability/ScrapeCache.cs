using System.Diagnostics;

namespace Analyzer.Observability;

/// <summary>
/// A value that a gauge of <c>/metrics</c> reads from the database: a scrape gets the last value read at once, and when
/// that is older than <paramref name="maxAge"/> one new read starts in the background (never two at a time), so a scrape
/// never waits for the database, and frequent scrapes cost one query per <paramref name="maxAge"/>. A read that fails
/// (the database is down) keeps the last value; nothing is known before the first read ends (the gauge then has no series).
/// </summary>
public sealed class ScrapeCache<T>(Func<CancellationToken, Task<T>> read, TimeSpan maxAge, ILogger logger) where T : class
{
    /// <summary>A read that takes longer is abandoned (the next scrape starts another).</summary>
    private const int ReadTimeoutSeconds = 5;

    private T? value;
    private long readAt; // Stopwatch timestamp of the last read started; 0: never
    private int reading;

    /// <summary>The last value read (null before the first read has ended); starts a new read when it is stale.</summary>
    public T? Current
    {
        get
        {
            var started = Volatile.Read(ref readAt);
            if ((started == 0 || Stopwatch.GetElapsedTime(started) >= maxAge) && Interlocked.Exchange(ref reading, 1) == 0)
            {
                Volatile.Write(ref readAt, Stopwatch.GetTimestamp());
                _ = Task.Run(RefreshAsync);
            }
            return Volatile.Read(ref value);
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(ReadTimeoutSeconds));
            Volatile.Write(ref value, await read(timeout.Token));
        }
        catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            logger.LogDebug(e, "A gauge of /metrics could not be read; it keeps its last value");
        }
        finally
        {
            Volatile.Write(ref reading, 0);
        }
    }
}
