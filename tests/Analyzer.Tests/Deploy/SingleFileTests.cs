using System.Diagnostics;
using System.Globalization;
using System.Net;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Deploy;

/// <summary>
/// The single-file release (Properties/PublishProfiles/single-file.pubxml), published by the test and run: it serves
/// /health, its own health probe (the image's HEALTHCHECK) passes, and --version names the commit. ReadyToRun is
/// turned off here to keep CI minutes down (it changes how fast the code starts, not what it does); release.sh keeps it.
/// It also relays to Kafka (librdkafka's mock cluster): the native library, extracted from the bundle, loads.
/// </summary>
public sealed class SingleFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-single-file-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public async Task The_single_file_executable_serves_health_names_its_commit_and_relays_to_kafka()
    {
        var publish = Path.Combine(directory.FullName, "publish");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var built = await DeployFiles.RunAsync(dotnet,
            // Its own intermediate and output folders: a publish running at the same time (deploy/release.sh) writes the shared ones.
            ["publish", "src/Analyzer/Analyzer.csproj", "-p:PublishProfile=single-file", "-p:PublishReadyToRun=false", "-o", publish, "-nologo", "-v", "q",
                $"-p:IntermediateOutputPath={directory.FullName}/obj/", $"-p:OutputPath={directory.FullName}/bin/"],
            timeout: TimeSpan.FromMinutes(15));
        Assert.True(built.ExitCode == 0, $"dotnet publish: {built.Output}\n{built.Error}");

        // One executable; beside it at most the (empty) static web assets manifest of ASP.NET Core, no library, no test or benchmark.
        var files = Directory.GetFiles(publish).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("analyzer", files);
        Assert.All(files, f => Assert.True(f is "analyzer" or "analyzer.staticwebassets.endpoints.json", $"{f} beside the single file"));

        var executable = Path.Combine(publish, "analyzer");
        var environment = new Dictionary<string, string> { ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(directory.FullName, "extract") };
        var version = await DeployFiles.RunAsync(executable, ["--version"], environment: environment);
        Assert.Equal(0, version.ExitCode);
        var commit = await DeployFiles.RunAsync("git", ["rev-parse", "HEAD"]);
        Assert.Equal($"1.0.0+{(commit.ExitCode == 0 ? commit.Output.Trim() : "unknown")}", version.Output.Trim());

        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic("analyzer.events");
        var port = AnalyzerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var data = Path.Combine(directory.FullName, "data");
        var started = Stopwatch.StartNew();
        using var serve = Process.Start(new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                "--api-address", "127.0.0.1", "--api-port", port, "--db", "sqlite://" + data + "/analyzer.db", "--log-level", "Warning",
                "--kafka-bootstrap-servers", kafka.BootstrapServers,
            },
            Environment = { ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = environment["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            HttpStatusCode? status = null;
            for (var attempt = 0; attempt < 300 && status != HttpStatusCode.OK && !serve.HasExited; attempt++)
            {
                try
                {
                    status = (await client.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(100);
                }
            }
            Assert.True(status == HttpStatusCode.OK, $"GET /health: {status}; exited: {serve.HasExited}");
            output.WriteLine($"first 200 of /health {started.ElapsedMilliseconds} ms after the start (no ReadyToRun; informative, not asserted)");

            var probe = await DeployFiles.RunAsync(executable, ["health", "--api-port", port], environment: environment);
            Assert.True(probe.ExitCode == 0, probe.Error);
            Assert.Equal($"http://127.0.0.1:{port}/health/live: 200", probe.Output.Trim());

            using var import = new StringContent(
                """{"citizens":[{"citizen_id":1,"town":"T","street":"S","building":"B","apartment":1,"name":"N","birth_date":"01.02.1990","gender":"male","relatives":[]}]}""",
                System.Text.Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(new Uri("/imports", UriKind.Relative), import)).StatusCode);
            var consumed = Events.KafkaTopic.ReadUntil(kafka.BootstrapServers, "analyzer.events", ids => ids.Count >= 1, TimeSpan.FromSeconds(60));
            Assert.Contains(consumed, e => e.Body.GetProperty("type").GetString() == "import.created");
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }
}
