using System.Diagnostics;
using System.Net;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Analyzer.Tests.Observability;

/// <summary>The service on SQLite with <c>--otlp-endpoint</c> pointing at a loopback <see cref="OtlpReceiver"/>.</summary>
public sealed class OtlpApp : SqliteApp
{
    public OtlpReceiver Receiver { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Analyzer:OTLP_ENDPOINT"] = Receiver.Endpoint,
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Receiver.Dispose();
    }
}

/// <summary>Traces go over OTLP/HTTP when --otlp-endpoint is set, and the request id and the trace point at each other.</summary>
public sealed class TracingTests(OtlpApp app) : IClassFixture<OtlpApp>
{
    [Fact]
    public async Task A_request_is_exported_as_a_span_that_carries_its_request_id_and_the_logs_carry_its_trace_id()
    {
        var client = app.CreateClient();
        var requestId = "otlp-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/imports");
        request.Headers.Add(RequestLogging.RequestIdHeader, requestId);

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The access-log line of the request carries the trace id next to the request id.
        var access = Assert.Single(app.Logs.Entries, e => e.Category == "Analyzer.Access" && Equals(e.Values.GetValueOrDefault("RequestId"), requestId));
        Assert.Equal(requestId, access.Values[RequestLogging.RequestIdKey]);
        var traceId = Assert.IsType<string>(access.Values[RequestLogging.TraceIdKey]);
        Assert.Matches("^[0-9a-f]{32}$", traceId);

        // The span reaches the collector (flushed now rather than after the batch's 5 s), as protobuf on /v1/traces:
        // its trace_id field holds the 16 bytes of that trace id, and its attributes the request id.
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000), "the exporter did not flush");
        var traceIdBytes = Convert.FromHexString(traceId);
        var export = await app.Receiver.WaitForAsync(e => Contains(e.Body, traceIdBytes), TimeSpan.FromSeconds(30));
        Assert.True(export is not null, $"no export with trace {traceId} among {app.Receiver.Exports.Count}: "
            + string.Join(", ", app.Receiver.Exports.Select(e => $"{e.Path} {e.ContentType} {e.Body.Length} bytes")));
        Assert.Equal("/v1/traces", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
        Assert.True(Contains(export.Body, System.Text.Encoding.UTF8.GetBytes(requestId)), "the span does not carry the request id");
        Assert.True(Contains(export.Body, System.Text.Encoding.UTF8.GetBytes(RequestLogging.RequestIdKey)), "the span has no request_id attribute");
    }

    [Fact]
    public async Task Health_probes_are_not_traced()
    {
        var client = app.CreateClient();
        var requestId = "probe-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add(RequestLogging.RequestIdHeader, requestId);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        Assert.DoesNotContain(app.Receiver.Exports, e => Contains(e.Body, System.Text.Encoding.UTF8.GetBytes(requestId)));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}

/// <summary>Without --otlp-endpoint no span is recorded (so none can be exported), yet every log line of a request still names its trace.</summary>
public sealed class NoTracingTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Without_an_endpoint_no_span_is_recorded_and_logs_still_carry_the_trace_id()
    {
        var requestId = "untraced-" + Guid.NewGuid().ToString("N");
        var seen = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        // Asks for the activities without recording them: whether one is recorded is then the service's sampler's choice alone.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem(RequestLogging.RequestIdKey), requestId))
                {
                    seen.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/imports");
        request.Headers.Add(RequestLogging.RequestIdHeader, requestId);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var activity = Assert.Single(seen);
        Assert.False(activity.Recorded, "the request's span was recorded without an OTLP endpoint");
        var access = Assert.Single(app.Logs.Entries, e => e.Category == "Analyzer.Access" && Equals(e.Values.GetValueOrDefault("RequestId"), requestId));
        Assert.Equal(activity.TraceId.ToHexString(), access.Values[RequestLogging.TraceIdKey]);
    }
}
