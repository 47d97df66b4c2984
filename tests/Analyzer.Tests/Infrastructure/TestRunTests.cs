using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Analyzer.Tests.Infrastructure;

/// <summary>The test run itself: what <c>dotnet test</c> shows, and what it leaves behind.</summary>
public sealed class TestRunTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public void A_skipped_test_names_its_reason_so_that_dotnet_test_shows_it_at_the_default_verbosity()
    {
        var assembly = new TestAssembly(Reflector.Wrap(typeof(TestRunTests).Assembly));
        var testClass = new TestClass(new TestCollection(assembly, null, "skips"), Reflector.Wrap(typeof(TestRunTests)));
        var method = new TestMethod(testClass, Reflector.Wrap(typeof(TestRunTests).GetMethod(nameof(A_skipped_test_names_its_reason_so_that_dotnet_test_shows_it_at_the_default_verbosity))!));

        var skipped = BackendSkip.Skipped(new Sink(), new Options(), method, "PostgreSQL tests skipped: no initdb");

        Assert.Equal("PostgreSQL tests skipped: no initdb", skipped.SkipReason);
        Assert.Equal(
            "Analyzer.Tests.Infrastructure.TestRunTests.A_skipped_test_names_its_reason_so_that_dotnet_test_shows_it_at_the_default_verbosity [skipped: PostgreSQL tests skipped: no initdb]",
            skipped.DisplayName);
    }

    [Fact]
    public void An_in_memory_service_writes_only_warnings_and_errors_to_the_console()
    {
        var rules = app.Services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value.Rules;

        var console = Assert.Single(rules, r => r.ProviderName == typeof(ConsoleLoggerProvider).FullName && r.CategoryName is null);
        Assert.Equal(LogLevel.Warning, console.LogLevel);
        Assert.DoesNotContain(rules, r => r.ProviderName == typeof(ConsoleLoggerProvider).FullName && r.CategoryName is not null);
    }

    private sealed class Sink : Xunit.LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) => true;
    }

    private sealed class Options : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }

}

/// <summary>A nested <c>dotnet test</c> run of one PostgreSQL test, with a temporary folder of its own.</summary>
public sealed class PostgresTestRunTests : IPostgresTests, IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-nested-run-");

    public void Dispose()
    {
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [BackendFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_test_run_stops_its_PostgreSQL_cluster_and_removes_its_directory()
    {
        // The cluster's directory is made in the run's temporary folder, which the postgres user must be able to enter.
        File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet,
            ["test", typeof(PostgresTestRunTests).Assembly.Location, "--filter",
                "FullyQualifiedName=Analyzer.Tests.Web.PostgresPlatformTests.A_request_id_longer_than_128_characters_is_replaced"])
        {
            WorkingDirectory = directory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["TMPDIR"] = directory.FullName;
        start.Environment["ANALYZER_REQUIRE_PG"] = "1";
        start.Environment.Remove("ANALYZER_TEST_PG_URL"); // the nested run starts a cluster of its own
        using var run = Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var error = run.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4)))
        {
            try
            {
                await run.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                run.Kill(entireProcessTree: true);
                throw;
            }
        }
        var story = $"exit code {run.ExitCode}\n{await output}\n{await error}";
        Assert.True(run.ExitCode == 0, story);
        Assert.Matches(@"Passed:\s+1\b", await output);

        // The run's own end removes it; a reaper does when the test host was ended first: give that a few seconds.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((Directory.GetDirectories(directory.FullName, "analyzer-pg-*").Length > 0 || Processes.Naming(directory.FullName).Count > 0)
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Empty(Directory.GetDirectories(directory.FullName, "analyzer-pg-*"));
        var servers = Processes.Naming(directory.FullName);
        Assert.True(servers.Count == 0, $"processes of the nested run's cluster are still running: {string.Join(", ", servers)}\n{story}");
    }

}

/// <summary>Processes of this machine, read from /proc.</summary>
internal static class Processes
{
    /// <summary>The ids of the processes whose command line names <paramref name="path"/>.</summary>
    public static List<string> Naming(string path) =>
        [.. Directory.GetDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _))
            .Where(p =>
            {
                try
                {
                    return File.ReadAllText(Path.Combine(p, "cmdline")).Contains(path, StringComparison.Ordinal);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return false; // it ended in between
                }
            })
            .Select(Path.GetFileName)
            .OfType<string>()];
}
