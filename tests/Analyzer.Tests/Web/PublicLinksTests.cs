using System.Net;
using System.Text;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Web;

/// <summary>
/// Where <c>confirm_url</c> points, against the real executable on a real socket (host filtering and the connection's
/// address are Kestrel's): never to the site a forged <c>Host</c> header names.
/// </summary>
public sealed class PublicLinksTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-links-");

    public void Dispose()
    {
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private Task<AnalyzerServer> StartAsync(params string[] arguments) =>
        AnalyzerServer.StartAsync(directory.FullName, null,
            ["--db", "sqlite://" + Path.Combine(directory.FullName, $"analyzer-{Guid.NewGuid():N}.db"), "--log-level", "Warning", .. arguments]);

    /// <summary>Uploads a small dataset, then asks for a confirmation link with <paramref name="host"/> as the Host header.</summary>
    private static async Task<(HttpStatusCode Status, string? ConfirmUrl)> RequestLinkAsync(AnalyzerServer server, string host)
    {
        using (var upload = new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv"))
        using (var created = await server.Client.PostAsync(new Uri("/datasets?name=t&mode=replace", UriKind.Relative), upload))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/datasets/t/rows/create?a=3&b=4", UriKind.Relative));
        request.Headers.Host = host;
        using var response = await server.Client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return (response.StatusCode, null);
        }
        return (response.StatusCode, (await response.ReadJsonAsync()).GetProperty("data").GetProperty("confirm_url").GetString());
    }

    [Fact]
    public async Task Without_settings_a_forged_host_gets_a_link_to_the_address_it_came_in_on()
    {
        await using var server = await StartAsync();

        var (status, forged) = await RequestLinkAsync(server, "evil.example");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.StartsWith($"http://127.0.0.1:{server.Port}/confirmations/", forged, StringComparison.Ordinal);
        using (var confirmed = await server.Client.PostAsync(new Uri(forged!), null))
        {
            Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode); // the link works
        }

        var (_, local) = await RequestLinkAsync(server, $"localhost:{server.Port}");
        Assert.StartsWith($"http://localhost:{server.Port}/confirmations/", local, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_public_url_every_link_starts_with_it_whatever_the_host()
    {
        await using var server = await StartAsync("--public-url", "https://analyzer.example/base/");

        var (status, link) = await RequestLinkAsync(server, "evil.example");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Matches("^https://analyzer\\.example/base/confirmations/[A-Za-z0-9_-]{43}$", link);
    }

    [Fact]
    public async Task With_allowed_hosts_another_host_is_refused_and_an_allowed_one_is_used()
    {
        await using var server = await StartAsync("--allowed-hosts", "127.0.0.1, analyzer.test");

        var (refused, none) = await RequestLinkAsync(server, "evil.example");
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Null(none);

        var (status, link) = await RequestLinkAsync(server, $"analyzer.test:{server.Port}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.StartsWith($"http://analyzer.test:{server.Port}/confirmations/", link, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_is_not_allowed_is_a_400_problem_and_health_probes_pass_by_address()
    {
        await using var server = await StartAsync("--allowed-hosts", "*.analyzer.test");

        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/datasets", UriKind.Relative)))
        {
            request.Headers.Host = "evil.example";
            using var refused = await server.Client.SendAsync(request);
            var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("Host", out _), problem.ToString());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/datasets", UriKind.Relative)))
        {
            request.Headers.Host = $"eu.analyzer.test:{server.Port}";
            using var allowed = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        using var probe = await server.Client.GetAsync(new Uri("/health/live", UriKind.Relative)); // Host: 127.0.0.1:port
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    [Fact]
    public async Task A_public_url_that_is_not_an_absolute_http_url_is_refused_at_start()
    {
        var result = await AnalyzerProcess.RunAsync(directory.FullName, null, "--public-url", "analyzer.example", "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--public-url: must be an absolute http:// or https:// URL", result.StandardError, StringComparison.Ordinal);
    }
}
