using System.Collections.Concurrent;
using Analyzer.Storage;

namespace Analyzer.Jobs;

/// <summary>
/// The jobs this process runs, with their progress and the switch that stops them, and the signal that wakes idle
/// workers when a job is queued here. A cancel request made to this process stops its job at once; other replicas
/// learn of it from the job's row at their next checkpoint.
/// </summary>
public sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, Running> running = new();
    private readonly SemaphoreSlim queued = new(0);

    public sealed record Running(RowProgress Progress, CancellationTokenSource Stop)
    {
        /// <summary>Set before <see cref="Stop"/> is tripped for a cancel request (not for a shutdown or a lost lease).</summary>
        public bool CancelRequested { get; set; }
    }

    public void Add(long jobId, Running job) => running[jobId] = job;

    public void Remove(long jobId) => running.TryRemove(jobId, out _);

    public RowProgressView? ProgressOf(long jobId) =>
        running.TryGetValue(jobId, out var job) ? new RowProgressView(job.Progress.Done, job.Progress.Total) : null;

    /// <summary>Stops the job if this process runs it; true when it does.</summary>
    public async Task<bool> CancelAsync(long jobId)
    {
        if (!running.TryGetValue(jobId, out var job))
        {
            return false;
        }
        job.CancelRequested = true;
        await job.Stop.CancelAsync();
        return true;
    }

    /// <summary>Wakes one idle worker of this process.</summary>
    public void JobQueued()
    {
        if (queued.CurrentCount < 64)
        {
            queued.Release();
        }
    }

    /// <summary>Waits until a job is queued here, or <paramref name="timeout"/> (other replicas' jobs are found by polling).</summary>
    public Task WaitForJobAsync(TimeSpan timeout, CancellationToken cancellationToken) => queued.WaitAsync(timeout, cancellationToken);
}
