using System.CommandLine;
using System.Globalization;
using System.Net;
using Analyzer.Web;

namespace Analyzer.Cli;

/// <summary>
/// <c>analyzer health</c>: asks the service on this machine for <c>/health/live</c> (or <c>--path</c>) and exits 0 when it
/// answers 200, else 1 with one line. It is the container HEALTHCHECK of deploy/Dockerfile, whose chiseled runtime image
/// has neither a shell nor curl; it reads the same <c>--api-address</c>/<c>--api-port</c> (and ANALYZER_* variables) as serve.
/// </summary>
public static class HealthProbe
{
    public static Command Command(SettingOptions settings)
    {
        var address = settings.Get((WebOptions o) => o.ApiAddress);
        var port = settings.Get((WebOptions o) => o.ApiPort);
        var path = new Option<string>("--path")
        {
            Description = "Path to ask: /health/live (the process serves), /health/ready or /health (the database answers too)",
            DefaultValueFactory = _ => "/health/live",
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the answer",
            DefaultValueFactory = _ => 5,
        };
        var command = new Command("health", "Exit 0 when the service on this machine answers 200 on a health route, else 1 (a container health check)")
        {
            address, port, path, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (settings.Validate(parse) is { } error)
            {
                return Fail(AnalyzerCli.ExitUsage, error);
            }
            var web = settings.Bind<WebOptions>(parse);
            var route = parse.GetValue(path)!;
            if (!route.StartsWith('/') || route.StartsWith("//", StringComparison.Ordinal))
            {
                return Fail(AnalyzerCli.ExitUsage, "--path: must start with a single /, like /health/live");
            }
            if (parse.GetValue(timeout) is var seconds && seconds < 1)
            {
                return Fail(AnalyzerCli.ExitUsage, "--timeout: must be at least 1");
            }
            var url = new Uri($"http://{ProbeHost(web.ApiAddress)}:{web.ApiPort.ToString(CultureInfo.InvariantCulture)}{route}");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(seconds) };
            try
            {
                using var response = await client.GetAsync(url, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Console.WriteLine($"{url}: 200");
                    return 0;
                }
                return Fail(AnalyzerCli.ExitFailure, $"{url}: {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return Fail(AnalyzerCli.ExitFailure, $"{url}: {(e is TaskCanceledException ? $"no answer within {seconds} s" : e.Message)}");
            }
        });
        return command;
    }

    /// <summary>Where a service listening on <paramref name="apiAddress"/> is reached from this machine: loopback for every interface.</summary>
    internal static string ProbeHost(string apiAddress) => apiAddress switch
    {
        "0.0.0.0" or "localhost" => "127.0.0.1",
        "::" => "[::1]",
        _ when IPAddress.TryParse(apiAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"[{ip}]",
        _ => apiAddress,
    };

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"analyzer: {message}");
        return exitCode;
    }
}
