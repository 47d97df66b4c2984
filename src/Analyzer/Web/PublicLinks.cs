using System.Net;
using Analyzer.Imports;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Analyzer.Web;

/// <summary>
/// The absolute base of the links the service hands out (<c>confirm_url</c>), never taken from a Host header that
/// nobody vouched for: a forged <c>Host: evil.example</c> must not make the service send people to another site.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item><c>--public-url</c> when it is set: the links start with it, whatever the request says.</item>
/// <item>Else the request's scheme and Host when the host is allowed: it is one of <c>--allowed-hosts</c> (then any
/// other Host is answered 400 problem+json before an endpoint runs, health probes excepted), or, without that list,
/// <c>localhost</c>, a loopback address or the very address the request came in on.</item>
/// <item>Else the address and port the request came in on: a link to this service, by address.</item>
/// </list>
/// </remarks>
public static class PublicLinks
{
    /// <summary>
    /// With <see cref="WebOptions.AllowedHosts"/>, refuses a request for any other host (matched as ASP.NET Core's
    /// host filtering matches, <c>*.example.org</c> included) with a 400 problem — after the error pages, so the
    /// answer is problem+json like every other. Health probes are answered whatever their Host (an orchestrator
    /// probes by address).
    /// </summary>
    public static WebApplication UseAllowedHosts(this WebApplication app)
    {
        var hosts = Patterns(app.Services.GetRequiredService<IOptions<WebOptions>>().Value);
        if (hosts.Count == 0)
        {
            return app;
        }
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health") || HostString.MatchesAny(context.Request.Host.Host, hosts))
            {
                return next(context);
            }
            var errors = new ValidationErrors();
            errors.Add("Host", "this service does not serve that host (--allowed-hosts)");
            return Problems.Invalid(errors, "The request's Host header names a host this service does not serve.").ExecuteAsync(context);
        });
        return app;
    }

    private static List<StringSegment> Patterns(WebOptions web) => [.. AllowedHosts(web).Select(host => new StringSegment(host))];

    private static string[] AllowedHosts(WebOptions web) =>
        web.AllowedHosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The base URL (no trailing slash) that a path of this service is appended to, as the rules above say.</summary>
    public static string BaseUrl(HttpRequest request, WebOptions web)
    {
        if (web.PublicUrl.Length > 0)
        {
            return web.PublicUrl.TrimEnd('/');
        }
        if (IsAllowed(request, AllowedHosts(web)))
        {
            return $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";
        }
        var connection = request.HttpContext.Connection;
        var address = connection.LocalIpAddress is { } ip && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
            ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip)
            : null;
        var host = address is null ? new HostString("localhost", connection.LocalPort > 0 ? connection.LocalPort : 80)
            : connection.LocalPort > 0 ? new HostString(address.ToString(), connection.LocalPort) : new HostString(address.ToString());
        return $"{request.Scheme}://{host.ToUriComponent()}{request.PathBase.ToUriComponent()}";
    }

    private static bool IsAllowed(HttpRequest request, string[] allowed)
    {
        var host = request.Host.Host;
        if (!request.Host.HasValue || host.Length == 0)
        {
            return false;
        }
        if (allowed.Length > 0)
        {
            return HostString.MatchesAny(host, [.. allowed.Select(pattern => new StringSegment(pattern))]);
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (!IPAddress.TryParse(host.Trim('[', ']'), out var named))
        {
            return false;
        }
        var local = request.HttpContext.Connection.LocalIpAddress;
        return IPAddress.IsLoopback(named) || local is not null && (named.Equals(local) || local.IsIPv4MappedToIPv6 && named.Equals(local.MapToIPv4()));
    }
}
