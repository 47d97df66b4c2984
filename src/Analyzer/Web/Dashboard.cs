using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Analyzer.Web;

/// <summary>
/// The dashboard: static files embedded from <c>wwwroot</c> (plain ES modules and vendored libraries, nothing from
/// elsewhere), its page at <c>GET /</c> for browsers (see <see cref="IndexApi"/>). Every file goes out with a
/// Content-Security-Policy that allows this origin only and no inline script or style.
/// </summary>
public static class Dashboard
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IFileProvider Files { get; } = new ManifestEmbeddedFileProvider(typeof(Dashboard).Assembly, "wwwroot");

    public static WebApplication UseDashboard(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Files,
            OnPrepareResponse = context => Secure(context.Context.Response),
        });
        return app;
    }

    /// <summary>The headers of every dashboard file: this origin only, no sniffing, revalidated on each load (the files change with the service).</summary>
    public static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-cache";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>Whether the client asks for a page (a browser's navigation) rather than JSON.</summary>
    public static bool WantsHtml(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        var html = accept.Where(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        var json = accept.Where(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        return html > 0 && html >= json;
    }

    public static async Task<byte[]> IndexHtmlAsync()
    {
        var file = Files.GetFileInfo("index.html");
        await using var stream = file.CreateReadStream();
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
