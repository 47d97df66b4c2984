using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>
/// Request budgets per client (off by default): <see cref="WebOptions.RateLimitReads"/> reads (GET, HEAD, OPTIONS) and
/// <see cref="WebOptions.RateLimitWrites"/> writes (every other method) per second, each a token bucket of ASP.NET Core's
/// rate limiting, partitioned by the token's subject (<c>sub</c>) or, without an authenticated subject, by the client's
/// address. An exhausted budget is answered at once with 429 problem+json and <c>Retry-After</c>. It is the global limiter
/// of the same middleware that runs the upload limit (<see cref="UploadLimit"/>, a per-endpoint policy): a request passes
/// both. Health probes are never limited: a load balancer must see the service as it is.
/// </summary>
public static class RateLimits
{
    public const string Reads = "reads";

    public const string Writes = "writes";

    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<WebOptions>>((limiter, web) =>
        {
            var (reads, writes) = (web.Value.RateLimitReads, web.Value.RateLimitWrites);
            if (reads > 0 || writes > 0)
            {
                limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, reads, writes));
            }
        });
        return services;
    }

    /// <summary>Rate limiting runs after authentication, so that budgets follow the token's subject.</summary>
    public static WebApplication UseRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, int reads, int writes)
    {
        var budget = IsRead(context.Request.Method) ? Reads : Writes;
        var perSecond = budget == Reads ? reads : writes;
        if (perSecond == 0 || context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPartition.GetNoLimiter(budget);
        }
        return RateLimitPartition.GetTokenBucketLimiter($"{budget} {Client(context)}", _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    public static bool IsRead(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>The subject of an authenticated token, else the client's address.</summary>
    public static string Client(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.User.FindFirst("sub")?.Value is { Length: > 0 } subject
            ? "sub:" + subject
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>Whether a refusal came from a budget here (a token bucket says when to retry) rather than from the upload limit.</summary>
    public static bool TryRejectAsync(OnRejectedContext context, out Task answer)
    {
        if (!context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            answer = Task.CompletedTask;
            return false;
        }
        var http = context.HttpContext;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var web = http.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value;
        var isRead = IsRead(http.Request.Method);
        var limit = isRead ? web.RateLimitReads : web.RateLimitWrites;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        answer = TypedResults.Problem(
            detail: $"Too many {(isRead ? "reads" : "writes")}: this client may send {limit} per second. Nothing was done; "
                + $"send the request again in {seconds} second{(seconds == 1 ? "" : "s")}.",
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too Many Requests").ExecuteAsync(http);
        return true;
    }
}
