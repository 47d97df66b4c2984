using Analyzer.Web;

namespace Analyzer.Observability;

/// <summary>Settings of metrics and traces. See <see cref="Settings"/>.</summary>
public sealed class ObservabilityOptions
{
    /// <summary>
    /// The base URL of an OpenTelemetry collector's OTLP/HTTP receiver (usually port 4318); spans go to its
    /// <c>/v1/traces</c> as protobuf, the way <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is read. Empty: no trace is recorded or sent.
    /// </summary>
    [ConfigurationKeyName("OTLP_ENDPOINT"), Setting("Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (http://collector:4318); traces go to its /v1/traces (default: no traces)")]
    [AbsoluteHttpUrl]
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>Where the spans are posted: the endpoint's path with <c>/v1/traces</c> appended.</summary>
    public static Uri TracesUrl(string endpoint) => new(endpoint.TrimEnd('/') + "/v1/traces");
}
