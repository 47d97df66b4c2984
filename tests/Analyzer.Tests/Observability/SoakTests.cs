using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Observability;

/// <summary>
/// The soak of issue 13 as CI runs it: the bench's <c>soak</c> verb (bench/Analyzer.Bench, built by
/// <c>dotnet build Analyzer.slnx</c> in the same configuration as this assembly) for one minute, four clients, on its own
/// throwaway PostgreSQL cluster, against the executable next to this assembly. Every request must succeed and the
/// service must hold a bounded number of PostgreSQL connections. Its timings are not asserted; its figures are in
/// the test's output and docs/reliability.md has a 10-minute run.
/// </summary>
public sealed partial class SoakTests(Xunit.Abstractions.ITestOutputHelper output) : IPostgresTests
{
    private const int Clients = 4;

    /// <summary>
    /// Npgsql pools connections (at most 100 by default): four clients need a few, and a connection that is never
    /// given back (a session left undisposed) would push the count up by one each time until the pool is exhausted.
    /// </summary>
    private const int MaxConnections = 3 * Clients;

    [BackendFact]
    public async Task One_minute_of_four_clients_on_postgres_has_no_error_and_a_bounded_connection_count()
    {
        var bench = BenchDll();
        Assert.True(File.Exists(bench), $"{bench} is missing: build the solution (dotnet build Analyzer.slnx -c {Configuration})");

        var result = await RunAsync(bench, TimeSpan.FromMinutes(5),
            "soak", "--minutes", "1", "--clients", Clients.ToString(CultureInfo.InvariantCulture), "--backend", "postgres",
            "--sample-seconds", "5", "--warmup", "5", "--server-dll", AnalyzerProcess.Executable);
        output.WriteLine(result.Output);

        var line = ResultLine().Match(result.Output);
        Assert.True(line.Success, $"no soak-result line (exit code {result.ExitCode}):\n{result.Output}");
        var figures = line.Groups["pairs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        Assert.Equal("0", figures["errors"]);
        Assert.Equal(0, result.ExitCode);
        Assert.True(int.Parse(figures["workflows"], CultureInfo.InvariantCulture) > 0, "no workflow completed");
        var connections = int.Parse(figures["pg_connections_max"], CultureInfo.InvariantCulture);
        Assert.InRange(connections, 1, MaxConnections);
    }

    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/Release/net10.0/

    private static string BenchDll()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analyzer.slnx")))
            {
                return Path.Combine(directory.FullName, "bench", "Analyzer.Bench", "bin", Configuration, "net10.0", "analyzer-bench.dll");
            }
        }
        throw new FileNotFoundException("no Analyzer.slnx above the test assembly");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string dll, TimeSpan timeout, params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // Killing the bench would leave its PostgreSQL cluster (a daemon) behind: interrupt it as Ctrl+C does, so that
            // it stops its service and cluster, and kill it only if that does not end it.
            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(CancellationToken.None);
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        return (process.ExitCode, await standardOutput + await standardError);
    }

    [GeneratedRegex(@"^soak-result: (?<pairs>.+)$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();
}
