using System.Diagnostics.Metrics;
using Analyzer.Observability;
using Microsoft.Extensions.Options;

namespace Analyzer.Events;

/// <summary>
/// The Kafka relay's lag on <c>/metrics</c>: <c>analyzer_outbox_unpublished</c> (events not yet published) and
/// <c>analyzer_outbox_oldest_unpublished_age_seconds</c>, read from the database at most every <see cref="MaxAge"/>.
/// Without a relay nothing is ever published, so neither gauge has a series.
/// </summary>
public sealed class OutboxGauges(OutboxStore outbox, IOptions<EventsOptions> options, ILogger<OutboxGauges> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly ScrapeCache<OutboxLag> lag = new(outbox.LagAsync, MaxAge, logger);

    private OutboxLag? Current => options.Value.RelayConfigured ? lag.Current : null;

    public IEnumerable<Measurement<long>> Unpublished() => Current is { } now ? [new Measurement<long>(now.Unpublished)] : [];

    public IEnumerable<Measurement<long>> OldestAgeSeconds() => Current is { } now ? [new Measurement<long>((long)now.OldestAge.TotalSeconds)] : [];

    internal static void Register(IServiceCollection services)
    {
        services.AddSingleton<OutboxGauges>();
        services.AddAnalyzerGauge("analyzer.outbox.unpublished", "{event}",
            "Events the Kafka relay has not published yet, as read from the database at most 5 s ago (only with a relay)",
            provider => provider.GetRequiredService<OutboxGauges>().Unpublished());
        services.AddAnalyzerGauge("analyzer.outbox.oldest_unpublished_age", "s",
            "Age of the oldest event the Kafka relay has not published yet, in whole seconds (0: none waits; only with a relay)",
            provider => provider.GetRequiredService<OutboxGauges>().OldestAgeSeconds());
    }
}
