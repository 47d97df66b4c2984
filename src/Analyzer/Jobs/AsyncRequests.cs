using System.Security.Cryptography;
using System.Text;
using Analyzer.Datasets;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;

namespace Analyzer.Jobs;

/// <summary>
/// <c>Prefer: respond-async</c> (RFC 7240) or <c>?async=true</c> on a POST that loads data: the request is stored as a
/// job and answered <c>202 Accepted</c> with <c>Location: /jobs/{id}</c>; the workers replay it later through the same
/// endpoint. Without either, the endpoint answers as it always has.
/// </summary>
public static class AsyncRequests
{
    public const string PreferHeader = "Prefer";

    public const string RespondAsync = "respond-async";

    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public const int MaxIdempotencyKeyLength = 255;

    private static readonly ContractParameter[] Parameters =
    [
        new("async", ParameterLocation.Query, "true: store the request as a job and answer 202 at once (as Prefer: respond-async does).",
            () => new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = System.Text.Json.Nodes.JsonValue.Create(false) }),
        new(PreferHeader, ParameterLocation.Header, "respond-async (RFC 7240): store the request as a job and answer 202 at once; "
            + "the answer then carries Preference-Applied: respond-async.", () => new OpenApiSchema { Type = JsonSchemaType.String }),
        new(IdempotencyKeyHeader, ParameterLocation.Header, $"With an asynchronous request: the same key (1–{MaxIdempotencyKeyLength} "
            + "visible ASCII characters, per caller) within 24 hours returns the job it created (200) instead of a second job; the same key "
            + "with another request is a 422.", () => new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = MaxIdempotencyKeyLength }),
    ];

    /// <summary>Lets the endpoint's requests run as jobs of <paramref name="kind"/>, and documents it.</summary>
    public static RouteHandlerBuilder AcceptsAsync(this RouteHandlerBuilder builder, JobKind kind) => builder
        .AddEndpointFilter(async (context, next) =>
        {
            var errors = new ValidationErrors();
            var wanted = Wanted(context.HttpContext.Request.Headers[PreferHeader], context.HttpContext.Request.Query["async"], errors);
            if (!errors.IsEmpty)
            {
                return Problems.Invalid(errors, "Nothing was stored: fix the parameters listed in errors.");
            }
            return wanted
                ? await context.HttpContext.RequestServices.GetRequiredService<JobIntake>().EnqueueAsync(context.HttpContext, kind)
                : await next(context);
        })
        .DocumentsParameters(Parameters)
        .ProducesContract(StatusCodes.Status202Accepted, JobSchemas.JobData,
            "Prefer: respond-async or async=true: the request is stored as a job, queued; follow Location (GET /jobs/{id}) for its progress and outcome.",
            JobExamples.QueuedJob, location: "The job: /jobs/{id}.")
        .ProducesContract(StatusCodes.Status200OK, JobSchemas.JobData,
            "An Idempotency-Key already used by this caller for the same request within 24 hours: the job it created, as it is now.", JobExamples.QueuedJob)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>Whether the request asks to be run as a job: <c>Prefer</c> names respond-async, or <c>async</c> is true.</summary>
    public static bool Wanted(StringValues prefer, StringValues asyncParameter, ValidationErrors errors)
    {
        var asked = PrefersAsync(prefer);
        var text = asyncParameter.ToString();
        if (text.Length == 0)
        {
            return asked;
        }
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (!text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("async", "must be true or false");
        }
        return asked;
    }

    /// <summary>RFC 7240: preferences are comma separated, each a token with optional <c>=value</c> and <c>;</c> parameters.</summary>
    private static readonly char[] PreferenceNameEnd = [';', '='];

    public static bool PrefersAsync(StringValues prefer) =>
        prefer.SelectMany(value => (value ?? "").Split(','))
            .Select(preference => preference.Split(PreferenceNameEnd)[0].Trim())
            .Any(token => token.Equals(RespondAsync, StringComparison.OrdinalIgnoreCase));

    /// <summary>The problem of an Idempotency-Key that cannot be one, or null.</summary>
    public static string? IdempotencyKeyProblem(string key) =>
        key.Length is 0 or > MaxIdempotencyKeyLength || !key.All(c => c is >= '!' and <= '~')
            ? $"must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters (no spaces)"
            : null;

    /// <summary>The query string the job replays: the request's, without <c>async</c>.</summary>
    public static string ReplayedQuery(QueryString query)
    {
        var kept = QueryHelpers.ParseQuery(query.Value).Where(p => p.Key != "async").SelectMany(p => p.Value.Select(v => (p.Key, v ?? "")));
        return QueryString.Create(kept.Select(p => new KeyValuePair<string, string?>(p.Key, p.Item2))).ToString();
    }
}

/// <summary>Takes an asynchronous request in: its body spooled, hashed, then stored with the job in one transaction.</summary>
public sealed class JobIntake(JobStore store, RunningJobs running, UploadSpool spool, TimeProvider time,
    IOptions<WebOptions> web, IOptions<DatasetsOptions> datasets)
{
    public async Task<IResult> EnqueueAsync(HttpContext http, JobKind kind)
    {
        var request = http.Request;
        var cancellationToken = http.RequestAborted;
        var limit = kind == JobKind.Import ? web.Value.MaxRequestBodyBytes : datasets.Value.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (request.ContentLength > limit)
        {
            return Problems.TooLarge(limit);
        }
        string? key = request.Headers[AsyncRequests.IdempotencyKeyHeader] is { Count: > 0 } keys ? keys.ToString() : null;
        if (key is not null && AsyncRequests.IdempotencyKeyProblem(key) is { } problem)
        {
            var errors = new ValidationErrors();
            errors.Add(AsyncRequests.IdempotencyKeyHeader, problem);
            return Problems.Invalid(errors, "Nothing was stored: fix the header listed in errors.");
        }
        var query = AsyncRequests.ReplayedQuery(request.QueryString);
        await using var body = spool.Create();
        string hash;
        try
        {
            hash = await SpoolAsync(request, kind, query, body, limit, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge(limit);
        }
        catch (InvalidDataException)
        {
            return Problems.TooLarge(limit);
        }
        body.Position = 0;
        var subject = http.User.FindFirst("sub")?.Value ?? "";
        var (job, created, storedHash) = await store.EnqueueAsync(
            new NewJob(kind, query, request.ContentType, subject, key, hash), body, time.GetUtcNow(), cancellationToken);
        if (!created && storedHash != hash)
        {
            return TypedResults.Problem(
                detail: $"the Idempotency-Key {key} was used for another request (job {job.Id}) within 24 hours; send a new request with a new key",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused");
        }
        if (created)
        {
            running.JobQueued();
        }
        if (AsyncRequests.PrefersAsync(request.Headers[AsyncRequests.PreferHeader]))
        {
            http.Response.Headers["Preference-Applied"] = AsyncRequests.RespondAsync;
        }
        return new WrittenJson(created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK, w => JobJson.Write(w, job), job.Href);
    }

    /// <summary>Copies the body to <paramref name="target"/> (at most <paramref name="limit"/> bytes) and returns the SHA-256 of the whole request.</summary>
    private static async Task<string> SpoolAsync(HttpRequest request, JobKind kind, string query, Stream target, long limit, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{kind.Name}\n{query}\n{request.ContentType}\n"));
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new InvalidDataException("over the limit");
            }
            hash.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        await target.FlushAsync(cancellationToken);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
