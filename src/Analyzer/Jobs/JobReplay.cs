using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Datasets;
using Analyzer.Storage;

namespace Analyzer.Jobs;

/// <summary>What the replayed request answered: the job's result (success) or its error (a problem).</summary>
public sealed record JobAnswer(bool Succeeded, string Json)
{
    /// <summary>Names and text as written (no \u escapes for Cyrillic), like the answers themselves.</summary>
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A 2xx answer's <c>data</c> with <c>href</c>, the path of what was created (the answer's Location, or
    /// <c>/imports/{import_id}</c>); any other answer's problem body as it is, so that a validation failure carries the
    /// synchronous call's <c>errors</c>.
    /// </summary>
    public static JobAnswer From(int statusCode, string? location, ReadOnlySpan<byte> body)
    {
        JsonNode? json;
        try
        {
            json = body.IsEmpty ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            json = null;
        }
        if (statusCode is >= 200 and < 300)
        {
            var data = json?["data"] is JsonObject answer ? (JsonObject)answer.DeepClone() : [];
            var href = location ?? (data["import_id"] is JsonValue id ? $"/imports/{id}" : null);
            if (href is not null)
            {
                data["href"] = href;
            }
            return new JobAnswer(true, data.ToJsonString(Relaxed));
        }
        var problem = json as JsonObject ?? new JsonObject { ["title"] = "The job failed", ["detail"] = "the answer had no problem body" };
        problem["status"] ??= statusCode;
        return new JobAnswer(false, problem.ToJsonString(Relaxed));
    }
}

/// <summary>
/// Runs a job by replaying its stored request through the very endpoint that answers it synchronously (its
/// <see cref="Endpoint.RequestDelegate"/>: binding, validation, the store, the answer), in memory: the same code path,
/// the same errors. The request carries the job's <see cref="RowProgress"/> and a cancellation token the worker trips.
/// Authentication and the upload limit are middleware, not part of the endpoint: they were applied when the job was queued.
/// </summary>
public sealed class JobReplay(IServiceProvider services, EndpointDataSource endpoints, JobStore store, UploadSpool spool)
{
    public async Task<JobAnswer> RunAsync(Job job, RowProgress progress, CancellationToken cancellationToken)
    {
        var kind = JobKind.Named(job.Kind) ?? throw new InvalidDataException($"job {job.Id} is of an unknown kind {job.Kind}");
        var endpoint = endpoints.Endpoints
            .FirstOrDefault(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == kind.EndpointName)?.RequestDelegate
            ?? throw new InvalidOperationException($"no endpoint named {kind.EndpointName}");
        await using var body = spool.Create();
        await store.CopyBodyAsync(job.Id, body, cancellationToken);
        body.Position = 0;
        await using var scope = services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = cancellationToken };
        http.TraceIdentifier = $"job-{job.Id}-{job.Attempts}";
        var request = http.Request;
        request.Method = HttpMethods.Post;
        request.Scheme = "http";
        request.Host = new HostString("localhost");
        request.Path = kind.Path;
        request.QueryString = new QueryString(job.Query);
        request.ContentType = job.ContentType;
        request.ContentLength = body.Length;
        request.Body = body;
        http.Features.Set(progress);
        await using var response = new MemoryStream();
        http.Response.Body = response;
        await endpoint(http);
        await http.Response.BodyWriter.FlushAsync(cancellationToken);
        return JobAnswer.From(http.Response.StatusCode, http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
            response.GetBuffer().AsSpan(0, (int)response.Length));
    }
}
