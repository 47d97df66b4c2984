using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;

namespace Analyzer.Tests.Deploy;

/// <summary>
/// deploy/nginx/analyzer.conf: <c>nginx -t</c> accepts it, its limits match the service's, and Debian's nginx on
/// loopback in front of the real executable passes requests and the request id through.
/// </summary>
public sealed partial class NginxConfigTests : IDisposable
{
    private static readonly string Config = DeployFiles.Read("deploy/nginx/analyzer.conf");

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-nginx-");

    public void Dispose() => directory.Delete(recursive: true);

    /// <summary>
    /// A folder with an nginx.conf that includes analyzer.conf in its http block, with the upstream servers given (the
    /// relative include of analyzer.conf is read from this folder) and, when <paramref name="port"/> is set, listening on
    /// 127.0.0.1 there instead of port 80.
    /// </summary>
    private string Prepare(IEnumerable<int> upstreamPorts, int? port = null)
    {
        var folder = directory.FullName;
        var site = port is { } p
            ? Config.Replace("listen 80;", $"listen 127.0.0.1:{p};", StringComparison.Ordinal).Replace("listen [::]:80;", "", StringComparison.Ordinal)
            : Config;
        File.WriteAllText(Path.Combine(folder, "analyzer.conf"), site);
        File.WriteAllLines(Path.Combine(folder, "analyzer-upstream.conf"),
            upstreamPorts.Select(u => $"server 127.0.0.1:{u.ToString(CultureInfo.InvariantCulture)} max_fails=3 fail_timeout=10s;"));
        var temp = Path.Combine(folder, "temp");
        Directory.CreateDirectory(temp);
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log;
            daemon off;
            events {}
            http {
                client_body_temp_path {{temp}}/body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                include analyzer.conf;
            }
            """);
        return Path.Combine(folder, "nginx.conf");
    }

    [GeneratedRegex(@"^\s*client_max_body_size\s+(\d+)([kmg]?);", RegexOptions.Multiline)]
    private static partial Regex BodySize();

    private static long Bytes(Match size) =>
        long.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture) * size.Groups[2].Value switch { "k" => 1L << 10, "m" => 1L << 20, "g" => 1L << 30, _ => 1 };

    [Fact]
    public void Its_body_limits_are_the_services_defaults()
    {
        var sizes = BodySize().Matches(Config).Select(Bytes).ToList();

        Assert.Equal([new WebOptions().MaxRequestBodyBytes, new Analyzer.Datasets.DatasetsOptions().MaxUploadBytes], sizes);
    }

    [Fact]
    public void It_balances_by_least_connections_and_retries_only_what_is_idempotent()
    {
        Assert.Contains("least_conn;", Config, StringComparison.Ordinal);
        Assert.Contains("proxy_next_upstream error timeout", Config, StringComparison.Ordinal);
        Assert.Contains("proxy_next_upstream_tries 2;", Config, StringComparison.Ordinal);
        var directives = string.Join('\n', Config.Split('\n').Select(line => line.Split('#')[0]));
        Assert.DoesNotContain("non_idempotent", directives, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header X-Request-Id", Config, StringComparison.Ordinal);
        Assert.Contains("max_fails=", DeployFiles.Read("deploy/nginx/compose-upstream.conf"), StringComparison.Ordinal);
    }

    [ToolFact("nginx")]
    public async Task Nginx_accepts_the_config()
    {
        var config = Prepare([8080, 8081]);

        var test = await DeployFiles.RunAsync(ToolFactAttribute.Require("nginx"), ["-t", "-p", directory.FullName, "-c", config, "-e", Path.Combine(directory.FullName, "error.log")]);

        Assert.True(test.ExitCode == 0, $"nginx -t: {test.Error}");
        Assert.Contains("test is successful", test.Error, StringComparison.Ordinal);
    }

    [ToolFact("nginx")]
    public async Task Nginx_refuses_a_config_with_an_error()
    {
        var config = Prepare([8080]);
        File.AppendAllText(Path.Combine(directory.FullName, "analyzer.conf"), "server { listen 81; proxy_pass_nonsense on; }\n");

        var test = await DeployFiles.RunAsync(ToolFactAttribute.Require("nginx"), ["-t", "-p", directory.FullName, "-c", config, "-e", Path.Combine(directory.FullName, "error.log")]);

        Assert.NotEqual(0, test.ExitCode);
    }

    [ToolFact("nginx")]
    public async Task Nginx_on_loopback_proxies_to_the_service_and_passes_the_request_id_through()
    {
        var data = Directory.CreateDirectory(Path.Combine(directory.FullName, "data"));
        await using var server = await AnalyzerServer.StartAsync(data.FullName, null, "--db", "sqlite://" + Path.Combine(data.FullName, "a.db"), "--log-level", "Warning");
        var port = AnalyzerProcess.FreePort();
        var config = Prepare([server.Port], port);
        using var nginx = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(ToolFactAttribute.Require("nginx"))
        {
            ArgumentList = { "-p", directory.FullName, "-c", config, "-e", Path.Combine(directory.FullName, "error.log") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            HttpResponseMessage? health = null;
            for (var attempt = 0; attempt < 50 && health is null; attempt++)
            {
                try
                {
                    health = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100); // nginx not listening yet
                }
            }
            Assert.NotNull(health);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            using var request = new HttpRequestMessage(HttpMethod.Get, "/imports/999/citizens");
            request.Headers.Add("X-Request-Id", "nginx-test-42");
            using var missing = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("nginx-test-42", Assert.Single(missing.Headers.GetValues("X-Request-Id")));
            Assert.Contains("nginx-test-42", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // Without one, the service gets nginx's $request_id, so nginx's access log and the service's logs share it.
            using var generated = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Matches("^[0-9a-f]{32}$", Assert.Single(generated.Headers.GetValues("X-Request-Id")));
        }
        finally
        {
            nginx.Kill(entireProcessTree: true);
            await nginx.WaitForExitAsync();
        }
    }
}
