using Analyzer.Docs;

namespace Analyzer.Web;

/// <summary>
/// The headers every answer carries, whoever produced it (an endpoint, the problem writer, the static files, Swagger UI):
/// no content sniffing, no referrer, nothing stored by caches when the request carried credentials, and a
/// Content-Security-Policy on the API documentation. Set just before the response starts, so that they cannot be forgotten.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// Swagger UI: its scripts and styles come from this origin, but the UI sets style attributes at run time (React),
    /// hence 'unsafe-inline' for styles only; scripts stay 'self' without inline code or eval.
    /// </summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use(AddHeaders);
        return app;
    }

    private static Task AddHeaders(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (IsAuthenticated(context))
            {
                headers.CacheControl = "no-store";
            }
            if (context.Request.Path.StartsWithSegments(DocsApi.UiPath, StringComparison.OrdinalIgnoreCase))
            {
                headers.ContentSecurityPolicy = DocsContentSecurityPolicy;
            }
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>An answer to a request with credentials (valid or not: a refusal is private too).</summary>
    private static bool IsAuthenticated(HttpContext context) =>
        context.Request.Headers.Authorization.Count > 0 || context.User.Identity?.IsAuthenticated == true;
}
