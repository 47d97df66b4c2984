using System.Data.Common;
using System.Globalization;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.Extensions.Options;

namespace Analyzer.Jobs;

/// <summary>
/// <c>--workers</c> loops that take jobs from the queue (<see cref="JobStore.ClaimAsync"/>) and run them
/// (<see cref="JobReplay"/>). While a job runs, a heartbeat every second (sooner after every 10,000 rows) writes its
/// progress, renews its lease and reads its cancel request; a cancel stops the replayed request, whose transaction
/// rolls back. On SQLite the load holds the database's one write lock, so the heartbeat writes nothing: progress is
/// read from this process and a cancel reaches the job through <see cref="RunningJobs"/>.
/// </summary>
public sealed class JobWorkers(
    JobStore store, JobReplay replay, RunningJobs running, Database database, IOptions<JobsOptions> options, TimeProvider time,
    StartupGate gate, ILogger<JobWorkers> logger) : BackgroundService
{
    /// <summary>How often idle workers look for jobs queued by other replicas, and running jobs report.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>This process's workers, as the jobs table names them: a job of a live process is never taken from it.</summary>
    private readonly string worker = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}");

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.JobLeaseSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var count = options.Value.Workers;
        if (count <= 0)
        {
            return;
        }
        try
        {
            await gate.WhenOpenAsync(stoppingToken); // not before the database is reached and migrated
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // stopped before it could start
        }
        logger.LogInformation("{Count} job workers as {Worker}", count, worker);
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)));
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await store.ClaimAsync(worker, time.GetUtcNow(), Lease, options.Value.JobMaxAttempts, stoppingToken) is { } job)
                {
                    await RunAsync(job, stoppingToken);
                }
                else
                {
                    await running.WaitForJobAsync(Interval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                logger.LogWarning(e, "Taking a job failed; trying again in {Interval}", Interval);
                await Task.Delay(Interval, CancellationToken.None);
            }
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        logger.LogInformation("Job {JobId} ({Kind}) started, attempt {Attempt}", job.Id, job.Kind, job.Attempts);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var entry = new RunningJobs.Running(new RowProgress(), stop);
        running.Add(job.Id, entry);
        using var workDone = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(job, entry, workDone.Token);
        JobAnswer? answer = null;
        Exception? failure = null;
        try
        {
            answer = await replay.RunAsync(job, entry.Progress, stop.Token);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Cancelled, shut down or taken over (however the interrupted code reported it): told apart below.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            await workDone.CancelAsync();
            running.Remove(job.Id);
        }
        var leaseLost = await heartbeat;
        if (leaseLost)
        {
            logger.LogWarning("Job {JobId} was taken over by another worker (this one missed its lease); its work here was rolled back", job.Id);
            return;
        }
        // The outcome is recorded even while the service stops, within the shutdown's own time limit.
        using var recording = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await RecordAsync(job, entry, answer, failure, stoppingToken.IsCancellationRequested, recording.Token);
    }

    private async Task RecordAsync(Job job, RunningJobs.Running entry, JobAnswer? answer, Exception? failure, bool stopping, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        JobTransition change;
        if (answer is not null)
        {
            var done = entry.Progress.Done;
            change = new JobTransition(JobState.Running, answer.Succeeded ? JobState.Succeeded : JobState.Failed, now)
            {
                Result = answer.Succeeded ? answer.Json : null,
                Error = answer.Succeeded ? null : answer.Json,
                Done = done,
                Total = entry.Progress.Total ?? (answer.Succeeded ? done : null),
            };
        }
        else if (entry.CancelRequested || await store.CancelRequestedAsync(job.Id, cancellationToken))
        {
            change = new JobTransition(JobState.Running, JobState.Cancelled, now) { Done = entry.Progress.Done, Total = entry.Progress.Total };
        }
        else if (stopping || job.Attempts < options.Value.JobMaxAttempts)
        {
            if (failure is not null)
            {
                logger.LogError(failure, "Job {JobId} failed on attempt {Attempt}; it is queued again", job.Id, job.Attempts);
            }
            change = new JobTransition(JobState.Running, JobState.Queued, now);
        }
        else
        {
            logger.LogError(failure, "Job {JobId} failed on its last attempt ({Attempt})", job.Id, job.Attempts);
            change = new JobTransition(JobState.Running, JobState.Failed, now) { Error = JobProblems.Unexpected(job.Attempts) };
        }
        if (await store.CommitStateChangeAsync(job.Id, change with { ExpectedWorker = worker }, cancellationToken))
        {
            logger.LogInformation("Job {JobId} {State}", job.Id, change.To.ToName());
        }
        if (change.To == JobState.Queued)
        {
            running.JobQueued();
        }
    }

    /// <summary>Reports until <paramref name="workDone"/>; true when the job turned out to be another worker's (this one's lease had run out).</summary>
    private async Task<bool> HeartbeatAsync(Job job, RunningJobs.Running entry, CancellationToken workDone)
    {
        if (database.OneWriterAtATime)
        {
            return false;
        }
        while (true)
        {
            await Task.WhenAny(Task.Delay(Interval, workDone), entry.Progress.NextCheckpoint);
            if (workDone.IsCancellationRequested)
            {
                return false;
            }
            try
            {
                var cancel = await store.HeartbeatAsync(
                    job.Id, worker, entry.Progress.Done, entry.Progress.Total, time.GetUtcNow() + Lease, workDone);
                if (cancel is null)
                {
                    await entry.Stop.CancelAsync();
                    return true;
                }
                if (cancel.Value)
                {
                    entry.CancelRequested = true;
                    await entry.Stop.CancelAsync();
                }
            }
            catch (OperationCanceledException) when (workDone.IsCancellationRequested)
            {
                return false;
            }
            catch (DbException e)
            {
                logger.LogWarning(e, "The heartbeat of job {JobId} failed; trying again", job.Id);
            }
        }
    }
}
