using System.Globalization;
using Analyzer.Cli;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Cli;

/// <summary><c>analyzer health</c>: the probe of a container HEALTHCHECK, against the real executable.</summary>
public sealed class HealthProbeTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-probe-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public async Task It_exits_0_when_the_service_answers_200_on_each_health_route()
    {
        await using var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", "sqlite://" + Path.Combine(directory.FullName, "a.db"), "--log-level", "Warning");
        var port = server.Port.ToString(CultureInfo.InvariantCulture);

        foreach (var path in new[] { "/health/live", "/health/ready", "/health" })
        {
            var probe = await AnalyzerProcess.RunAsync(directory.FullName, new Dictionary<string, string> { ["ANALYZER_API_PORT"] = port }, "health", "--path", path);
            Assert.True(probe.ExitCode == 0, probe.ToString());
            Assert.Equal($"http://127.0.0.1:{port}{path}: 200", Assert.Single(probe.OutputLines));
        }
    }

    [Fact]
    public async Task It_exits_1_with_one_line_when_nothing_answers_or_the_answer_is_not_200()
    {
        var port = AnalyzerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var refused = await AnalyzerProcess.RunAsync(directory.FullName, null, "health", "--api-port", port);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"analyzer: http://127.0.0.1:{port}/health/live: ", refused.AssertOneErrorLine(), StringComparison.Ordinal);

        await using var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", "sqlite://" + Path.Combine(directory.FullName, "a.db"), "--log-level", "Warning");
        var missing = await AnalyzerProcess.RunAsync(directory.FullName, null, "health", "--api-port", server.Port.ToString(CultureInfo.InvariantCulture), "--path", "/health/nothing");
        Assert.Equal(1, missing.ExitCode);
        Assert.EndsWith("/health/nothing: 404", missing.AssertOneErrorLine(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--path", "health" }, "analyzer: --path: must start with a single /, like /health/live")]
    [InlineData(new[] { "--timeout", "0" }, "analyzer: --timeout: must be at least 1")]
    [InlineData(new[] { "--api-port", "0" }, "analyzer: --api-port: must be between 1 and 65535")]
    public async Task Bad_options_are_one_line_and_exit_code_2(string[] arguments, string expected)
    {
        var result = await AnalyzerProcess.RunAsync(directory.FullName, null, ["health", .. arguments]);

        Assert.Equal(AnalyzerCli.ExitUsage, result.ExitCode);
        Assert.Equal(expected, result.AssertOneErrorLine());
    }

    [Theory]
    [InlineData("0.0.0.0", "127.0.0.1")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("::", "[::1]")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    [InlineData("fe80::1", "[fe80::1]")]
    public void It_asks_loopback_for_a_service_on_every_interface(string apiAddress, string host)
    {
        Assert.Equal(host, HealthProbe.ProbeHost(apiAddress));
    }
}
