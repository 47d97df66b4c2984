using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>The answer of <c>GET /metrics</c> (Observability/): Prometheus' text exposition format.</summary>
public static class ObservabilityDocs
{
    public const string TextPlain = "text/plain";

    public static readonly ContractSchema MetricsText = new("MetricsText", document => new OpenApiSchema
    {
        Type = JsonSchemaType.String,
        Description = "Prometheus' text exposition format 0.0.4 (OpenMetrics 1.0 when the Accept header asks for application/openmetrics-text): "
            + "# TYPE lines and one sample per line, name{label=\"value\",...} value.",
    });

    public static JsonNode MetricsExample() => JsonValue.Create(
        "# TYPE analyzer_answer_cache_hits_total counter\n"
        + "analyzer_answer_cache_hits_total{otel_scope_name=\"Analyzer\"} 1\n"
        + "# TYPE analyzer_import_citizens histogram\n"
        + "analyzer_import_citizens_bucket{otel_scope_name=\"Analyzer\",le=\"10\"} 1\n"
        + "analyzer_import_citizens_sum{otel_scope_name=\"Analyzer\"} 3\n"
        + "analyzer_import_citizens_count{otel_scope_name=\"Analyzer\"} 1\n");

    public static IReadOnlyList<ContractSchema> All { get; } = [MetricsText];
}
