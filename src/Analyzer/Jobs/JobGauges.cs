using System.Diagnostics.Metrics;
using Analyzer.Observability;

namespace Analyzer.Jobs;

/// <summary>
/// <c>analyzer_jobs{state="queued"|"running"|...}</c> on <c>/metrics</c>: the jobs in each state (finished ones until
/// <c>--job-retention</c> purges them), read from the database at most every <see cref="MaxAge"/>.
/// </summary>
public sealed class JobGauges(JobStore store, ILogger<JobGauges> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly ScrapeCache<IReadOnlyDictionary<string, long>> counts = new(store.CountByStateAsync, MaxAge, logger);

    /// <summary>One measurement per state (0 for a state without jobs); none before the first read.</summary>
    public IEnumerable<Measurement<long>> Measure() =>
        counts.Current is { } now
            ? JobStates.Names.Select(state => new Measurement<long>(now.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state)))
            : [];

}
