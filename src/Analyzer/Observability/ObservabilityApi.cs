using System.Diagnostics;
using System.Reflection;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Web;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Analyzer.Observability;

/// <summary>
/// Metrics at <c>GET /metrics</c> in Prometheus' text format (OpenTelemetry's Prometheus exporter, a pre-release:
/// 1.20.1-beta.1 is the only version served) and traces over OTLP/HTTP when <c>--otlp-endpoint</c> is set.
/// Exported meters: ASP.NET Core's (<c>http.server.request.duration</c> per route, connections), the .NET runtime's
/// (GC, memory, thread pool), Npgsql's (the PostgreSQL connection pool, command durations) and this service's own,
/// <see cref="AnalyzerMetrics.MeterName"/> (answer cache, import sizes, open database sessions, and the gauges other
/// features add with <see cref="MetricsRegistration.AddAnalyzerGauge"/>).
/// </summary>
public static class ObservabilityApi
{
    public const string MetricsPath = "/metrics";

    /// <summary>The span attribute that carries the request id (<c>X-Request-Id</c>), so that a trace finds the request's log lines.</summary>
    public const string RequestIdAttribute = "request_id";

    /// <summary>Series of the request duration histogram kept at most (about 60 routes × 9 methods × 20 status codes, with room).</summary>
    private const int RequestSeriesLimit = 20_000;

    public static IServiceCollection AddAnalyzerObservability(this IServiceCollection services)
    {
        services.AddSettings<ObservabilityOptions>();
        services.AddAnalyzerMetrics();
        // ASP.NET Core's meters and this service's are created by the host's IMeterFactory: listen to this host's alone
        // (Local), not to the meters of the same names that other hosts in the process create (the tests run many). A
        // provider that listened by name (AddMeter, AddAspNetCoreInstrumentation) would add their measurements to its
        // series, and drop a whole series when another host disposes its meter.
        services.AddMetrics(metrics => metrics
            .EnableMetrics("Microsoft.AspNetCore", instrumentName: null, listenerName: null, MeterScope.Local)
            .EnableMetrics(AnalyzerMetrics.MeterName, instrumentName: null, listenerName: null, MeterScope.Local));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("analyzer",
                serviceVersion: typeof(ObservabilityApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion))
            .WithMetrics(metrics => metrics
                // One series per route × method × status code: a client that tries every status (a fuzzer, a scanner) can
                // pass OpenTelemetry's default limit of 2,000, after which new series (a route's first 200) go uncounted.
                .AddView("http.server.request.duration", new MetricStreamConfiguration { CardinalityLimit = RequestSeriesLimit })
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter())
            // The endpoint is read from the options when the provider is built (the host's configuration is complete
            // only then); without one the sampler records nothing and the processor sends nothing.
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbeOrScrape(context.Request.Path))
                .AddNpgsql()
                .SetSampler(provider => Endpoint(provider) is null ? new AlwaysOffSampler() : new ParentBasedSampler(new AlwaysOnSampler()))
                .AddProcessor(provider => Endpoint(provider) is { } endpoint
                    ? new BatchActivityExportProcessor(new OtlpTraceExporter(new OtlpExporterOptions
                    {
                        Endpoint = ObservabilityOptions.TracesUrl(endpoint),
                        Protocol = OtlpExportProtocol.HttpProtobuf,
                    }))
                    : new NothingExported()));
        return services;
    }

    private static string? Endpoint(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<ObservabilityOptions>>().Value.OtlpEndpoint is { Length: > 0 } endpoint ? endpoint : null;

    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <c>GET /metrics</c>: Prometheus' text exposition format (OpenMetrics when the scraper asks for it). Needs
    /// <c>analyzer:admin</c> when authentication is on: the figures tell how the service is used.
    /// </summary>
    public static IEndpointConventionBuilder MapMetrics(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<AnalyzerMetrics>(); // its gauges exist from the start, not from the first request that records
        return app.MapPrometheusScrapingEndpoint(MetricsPath)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .WithTags("Operations").WithName("GetMetrics")
            .WithSummary("Metrics in Prometheus' text format: request durations per route, database pool, answer cache, import sizes")
            .WithDescription("Series: http_server_request_duration_seconds (per http_route), analyzer_answer_cache_hits_total and "
                + "analyzer_answer_cache_misses_total, analyzer_import_citizens (a histogram), analyzer_db_sessions_open, analyzer_jobs (per state), "
                + "analyzer_outbox_unpublished and analyzer_outbox_oldest_unpublished_age_seconds (with a Kafka relay), Npgsql's "
                + "db_client_connection_* on PostgreSQL, and the .NET runtime's. Needs analyzer:admin when authentication is on.")
            .ProducesContractAs(StatusCodes.Status200OK, ObservabilityDocs.TextPlain, ObservabilityDocs.MetricsText,
                "The metrics now: counters and histograms since the start, gauges as read at this scrape.", ObservabilityDocs.MetricsExample)
            .RequireAuthorization(Scopes.Admin);
    }

    /// <summary>The processor without an OTLP endpoint: nothing is exported (the sampler records nothing anyway).</summary>
    private sealed class NothingExported : BaseProcessor<Activity>;
}
