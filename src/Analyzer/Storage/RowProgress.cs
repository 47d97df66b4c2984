namespace Analyzer.Storage;

/// <summary>
/// How far a bulk load has got, for a job that watches it: the rows it has consumed, out of how many when known. A
/// job's worker puts one on the request it replays (<c>HttpContext.Features</c>); the stores pass their rows through
/// <see cref="Track{T}"/>. Every <see cref="CheckpointRows"/> rows a checkpoint is signalled, so that the worker writes
/// the progress and looks for a cancel request without waiting for its next second.
/// </summary>
public sealed class RowProgress
{
    /// <summary>Rows between two signalled checkpoints.</summary>
    public const int CheckpointRows = 10_000;

    private long done;
    private long total = -1;
    private TaskCompletionSource checkpoint = NewCheckpoint();

    public long Done => Interlocked.Read(ref done);

    /// <summary>The rows there are to load, once known (a CSV's row count after its scan); null before.</summary>
    public long? Total => Interlocked.Read(ref total) is var known and >= 0 ? known : null;

    public void SetTotal(long rows) => Interlocked.Exchange(ref total, rows);

    /// <summary>Completes at the next checkpoint (every <see cref="CheckpointRows"/> rows).</summary>
    public Task NextCheckpoint => Volatile.Read(ref checkpoint).Task;

    /// <summary>
    /// <paramref name="rows"/>, counted as they are consumed; <paramref name="cancellationToken"/> is checked before each
    /// row, so that a cancelled load stops within a row whatever the bulk insert itself checks.
    /// </summary>
    public IEnumerable<T> Track<T>(IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
            if (Interlocked.Increment(ref done) % CheckpointRows == 0)
            {
                Interlocked.Exchange(ref checkpoint, NewCheckpoint()).TrySetResult();
            }
        }
    }

    private static TaskCompletionSource NewCheckpoint() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public static class RowProgressExtensions
{
    /// <summary><paramref name="rows"/> through <paramref name="progress"/> when there is one, else as they are.</summary>
    public static IEnumerable<T> TrackedBy<T>(this IEnumerable<T> rows, RowProgress? progress, CancellationToken cancellationToken) =>
        progress is null ? rows : progress.Track(rows, cancellationToken);
}
