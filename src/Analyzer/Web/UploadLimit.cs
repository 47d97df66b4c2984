using Analyzer.Datasets;
using System.Globalization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>
/// At most <see cref="DatasetsOptions.MaxConcurrentUploads"/> uploads and imports (the endpoints marked with
/// <see cref="WithUploadLimit"/>) run at once, all of them sharing one concurrency limiter of ASP.NET Core's rate
/// limiting middleware. One more is not queued: it is answered at once with 503 problem+json and
/// <c>Retry-After</c>, so that parallel large bodies cannot exhaust the memory of the service.
/// </summary>
public static class UploadLimit
{
    /// <summary>The name of the rate limiting policy.</summary>
    public const string Policy = "uploads";

    /// <summary>The <c>Retry-After</c> of a refusal: an upload or import usually takes seconds.</summary>
    public const int RetryAfterSeconds = 5;

    public static IServiceCollection AddUploadLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            options.OnRejected = RejectAsync;
        });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<DatasetsOptions>>((limiter, analyzer) =>
            limiter.AddConcurrencyLimiter(Policy, concurrency =>
            {
                concurrency.PermitLimit = analyzer.Value.MaxConcurrentUploads;
                concurrency.QueueLimit = 0;
            }));
        return services;
    }

    /// <summary>Puts the endpoint under the limit and documents its 503.</summary>
    public static RouteHandlerBuilder WithUploadLimit(this RouteHandlerBuilder builder) => builder
        .RequireRateLimiting(Policy)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        if (RateLimits.TryRejectAsync(context, out var tooMany))
        {
            await tooMany;
            return;
        }
        var http = context.HttpContext;
        var limit = http.RequestServices.GetRequiredService<IOptions<DatasetsOptions>>().Value.MaxConcurrentUploads;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(
            detail: $"The service is busy: it is already handling {limit} {(limit == 1 ? "upload or import" : "uploads and imports")}, " +
                $"the most it runs at once. Nothing was stored; send the request again in {RetryAfterSeconds} seconds.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "The service is busy").ExecuteAsync(http);
    }
}
