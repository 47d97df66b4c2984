using Microsoft.Extensions.Options;

namespace Analyzer.Storage;

/// <summary>Removes rows that can no longer matter (expired links, revocations of tokens that have expired anyway).</summary>
public interface IPurge
{
    /// <summary>What is purged, for the log.</summary>
    string What { get; }

    /// <summary>Deletes what is stale at <paramref name="now"/>; returns how many rows went.</summary>
    Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Runs every registered <see cref="IPurge"/> on a timer of the service's <see cref="TimeProvider"/>. A purge
/// that fails (the database is down) is logged and tried again at the next tick; it never stops the service.
/// </summary>
public sealed class Housekeeping(
    IEnumerable<IPurge> purges, TimeProvider time, IOptions<StorageOptions> options, ILogger<Housekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PurgeIntervalMinutes <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.PurgeIntervalMinutes), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await PurgeAllAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping.
        }
    }

    /// <summary>One round of every purge.</summary>
    private async Task PurgeAllAsync(CancellationToken cancellationToken)
    {
        foreach (var purge in purges)
        {
            try
            {
                var now = time.GetUtcNow();
                var purged = await purge.PurgeAsync(now, cancellationToken);
                logger.LogInformation("Purged {Count} {What} as of {Now}", purged, purge.What, now);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Purging {What} failed; it is tried again at the next interval", purge.What);
            }
        }
    }
}
