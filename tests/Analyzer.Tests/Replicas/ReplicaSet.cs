using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analyzer.Storage;
using Analyzer.Tests.Deploy;
using Analyzer.Tests.Infrastructure;
using Npgsql;

namespace Analyzer.Tests.Replicas;

/// <summary>
/// deploy/replicas.sh run as a user would: two replicas of the Release executable on one PostgreSQL database, on
/// loopback ports this class chooses, and Debian's nginx in front. The script's folder gives the replicas' pids,
/// ports and logs and nginx's access log (its upstream= field says which replica answered).
/// </summary>
public sealed partial class ReplicaSet : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process script;
    private readonly Task<string> scriptOutput;
    private readonly Task<string> scriptError;
    private readonly DirectoryInfo directory;

    private ReplicaSet(Process script, DirectoryInfo directory, string connectionString, int port)
    {
        this.script = script;
        this.directory = directory;
        ConnectionString = connectionString;
        scriptOutput = script.StandardOutput.ReadToEndAsync();
        scriptError = script.StandardError.ReadToEndAsync();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A client of nginx.</summary>
    public HttpClient Client { get; }

    /// <summary>The database of every replica, as an Npgsql connection string.</summary>
    public string ConnectionString { get; }

    public const int Count = 2;

    /// <summary>Replica <paramref name="replica"/>'s port (from 1).</summary>
    public int PortOf(int replica) => int.Parse(ReadFile($"replica-{replica}.port"), CultureInfo.InvariantCulture);

    public int PidOf(int replica) => int.Parse(ReadFile($"replica-{replica}.pid"), CultureInfo.InvariantCulture);

    public string LogOf(int replica) => ReadFile($"replica-{replica}.log");

    /// <summary>nginx's access log so far, one line per request (analyzer.conf's log format).</summary>
    public IReadOnlyList<AccessLine> AccessLog() =>
        [.. ReadFile("nginx.log").Split('\n').Select(line => AccessLinePattern().Match(line)).Where(m => m.Success).Select(m => new AccessLine(
            m.Groups["method"].Value, m.Groups["path"].Value, int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture),
            m.Groups["upstream"].Value, m.Groups["id"].Value))];

    [GeneratedRegex("""^\S+ "(?<method>[A-Z]+) (?<path>\S+) [^"]*" (?<status>\d+) .* upstream=(?<upstream>\S*) upstream_status=\S* request_id=(?<id>\S+)""")]
    private static partial Regex AccessLinePattern();

    private string ReadFile(string name)
    {
        // The script's files and logs are written by other processes while we read them.
        using var stream = new FileStream(Path.Combine(directory.FullName, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Trim();
    }

    /// <summary>
    /// Starts the script on a new empty database and waits until it says nginx and both replicas are ready; starts again
    /// (on another new database, up to 3 times) when a port chosen was taken in between.
    /// </summary>
    public static async Task<ReplicaSet> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync();
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // another process took a port between AnalyzerProcess.FreePort and the bind: choose others
            }
        }
    }

    private static async Task<ReplicaSet> StartOnceAsync()
    {
        var url = await (await PostgresCluster.Instance).CreateEmptyDatabaseAsync();
        Assert.True(DatabaseUrl.TryParse(url, out var parsed, out var error), error);
        var directory = Directory.CreateTempSubdirectory("analyzer-replicas-");
        var port = AnalyzerProcess.FreePort();
        var replicaPorts = $"{AnalyzerProcess.FreePort()} {AnalyzerProcess.FreePort()}";
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                DeployFiles.PathOf("deploy/replicas.sh"), "--db", url, "--replicas", "2", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--replica-ports", replicaPorts, "--dir", directory.FullName, "--", dotnet, AnalyzerProcess.Executable,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        var set = new ReplicaSet(Process.Start(start)!, directory, parsed.ConnectionString, port);
        try
        {
            await set.WaitUntilReadyAsync();
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(directory.FullName, "ready")))
        {
            if (script.HasExited)
            {
                throw new InvalidOperationException($"deploy/replicas.sh exited ({script.ExitCode}):\n{await scriptOutput}\n{await scriptError}");
            }
            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"deploy/replicas.sh was not ready within {StartTimeout}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL to replica <paramref name="replica"/>: no shutdown, connections reset, transactions cut.</summary>
    public async Task KillAsync(int replica)
    {
        using var process = Process.GetProcessById(PidOf(replica));
        process.Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>A new connection to the replicas' database.</summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!script.HasExited)
        {
            // SIGTERM: the script's trap stops nginx and the replicas it started, then it exits.
            using (var term = Process.Start("kill", ["-TERM", script.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await script.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                script.Kill(entireProcessTree: true);
                KillLeftovers();
            }
        }
        script.Dispose();
        directory.Delete(recursive: true);
    }

    /// <summary>The processes the script started, when it did not stop them in time itself (by its pid files, just written: not reused).</summary>
    private void KillLeftovers()
    {
        var pidFiles = directory.GetFiles("replica-*.pid").Append(new FileInfo(Path.Combine(directory.FullName, "nginx.pid"))).Where(f => f.Exists);
        foreach (var file in pidFiles)
        {
            if (!int.TryParse(File.ReadAllText(file.FullName).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone, as it should be.
            }
        }
    }
}

/// <summary>One request in nginx's access log: which replica (upstream address, or several tried in order) answered.</summary>
public sealed record AccessLine(string Method, string Path, int Status, string Upstream, string RequestId);
