using System.Diagnostics.Metrics;
using Analyzer.Storage;

namespace Analyzer.Observability;

/// <summary>
/// The service's own instruments, on the meter <see cref="MeterName"/> that <c>/metrics</c> exports (Prometheus names:
/// dots become underscores, counters end in <c>_total</c>). Features record through this class; a feature that only
/// needs a value read at scrape time adds a gauge with <see cref="MetricsRegistration.AddAnalyzerGauge"/>.
/// </summary>
public sealed class AnalyzerMetrics
{
    public const string MeterName = "Analyzer";

    private readonly Counter<long> cacheHits;
    private readonly Counter<long> cacheMisses;
    private readonly Counter<long> citizenCacheHits;
    private readonly Counter<long> citizenCacheMisses;
    private readonly Histogram<long> importCitizens;

    public AnalyzerMetrics(IMeterFactory meters, IEnumerable<GaugeRegistration> gauges, IServiceProvider services)
    {
        Meter = meters.Create(MeterName);
        cacheHits = Meter.CreateCounter<long>("analyzer.answer_cache.hits", "{answer}",
            "Analytics answers served from the cache (hit ratio: hits / (hits + misses))");
        cacheMisses = Meter.CreateCounter<long>("analyzer.answer_cache.misses", "{answer}",
            "Analytics answers computed because the cache did not hold them");
        citizenCacheHits = Meter.CreateCounter<long>("analyzer.citizen_cache.hits", "{read}",
            "Reads of an import's citizens (GET citizens, an analysis) served from the import held in memory at its current version");
        citizenCacheMisses = Meter.CreateCounter<long>("analyzer.citizen_cache.misses", "{read}",
            "Reads of an import's citizens that went to the database (not held, held at an older version, or too big to hold)");
        importCitizens = Meter.CreateHistogram("analyzer.import.citizens", "{citizen}", "Citizens of each stored import",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [10, 100, 1_000, 10_000, 100_000, 1_000_000] });
        foreach (var gauge in gauges)
        {
            var read = gauge.Read;
            Meter.CreateObservableGauge(gauge.Name, () => read(services), gauge.Unit, gauge.Description);
        }
    }

    /// <summary>The meter of every instrument above, for a feature that needs an instrument of another kind.</summary>
    public Meter Meter { get; }

    public void AnswerCacheHit() => cacheHits.Add(1);

    public void AnswerCacheMiss() => cacheMisses.Add(1);

    public void CitizenCacheHit() => citizenCacheHits.Add(1);

    public void CitizenCacheMiss() => citizenCacheMisses.Add(1);

    public void ImportStored(long citizens) => importCitizens.Record(citizens);
}

/// <summary>A gauge read when <c>/metrics</c> is scraped: its measurements, one per set of labels (see <see cref="MetricsRegistration.AddAnalyzerGauge"/>).</summary>
public sealed record GaugeRegistration(string Name, string Unit, string Description, Func<IServiceProvider, IEnumerable<Measurement<long>>> Read);

public static class MetricsRegistration
{
    /// <summary>
    /// Adds a gauge to <c>/metrics</c>, read from the service provider at each scrape, e.g.
    /// <c>services.AddAnalyzerGauge("analyzer.jobs.queued", "{job}", "Jobs waiting", p => p.GetRequiredService&lt;JobQueue&gt;().Queued)</c>.
    /// The callback runs on the scrape's thread: return a value kept up to date elsewhere, never query the database here.
    /// </summary>
    public static IServiceCollection AddAnalyzerGauge(this IServiceCollection services, string name, string unit, string description,
        Func<IServiceProvider, long> read) =>
        services.AddSingleton(new GaugeRegistration(name, unit, description, provider => [new Measurement<long>(read(provider))]));

    /// <summary>
    /// A gauge of several series (labels, e.g. a job state) or of none while its value is unknown. A value read from the
    /// database comes from a <see cref="ScrapeCache{T}"/>, which never makes the scrape wait or fail.
    /// </summary>
    public static IServiceCollection AddAnalyzerGauge(this IServiceCollection services, string name, string unit, string description,
        Func<IServiceProvider, IEnumerable<Measurement<long>>> read) =>
        services.AddSingleton(new GaugeRegistration(name, unit, description, read));

    /// <summary>The instruments and the gauges of this feature: the database sessions open (both back ends).</summary>
    internal static IServiceCollection AddAnalyzerMetrics(this IServiceCollection services)
    {
        services.AddSingleton<AnalyzerMetrics>();
        return services.AddAnalyzerGauge("analyzer.db.sessions.open", "{session}",
            "Database sessions (connections taken from the pool) open now, on either back end",
            provider => provider.GetRequiredService<Database>().OpenSessions);
    }
}
