using System.Diagnostics;
using System.Globalization;

namespace Analyzer.Bench;

/// <summary>Figures about the server process at the end of a run.</summary>
public sealed record ServerReport(long? PeakRssKb, double? CpuSeconds, double? PostgresCpuSeconds, long? PostgresRssKb)
{
    public override string ToString()
    {
        var text = $"server: peak RSS {Format.Mb(PeakRssKb)} (VmHWM), CPU {Format.Seconds(CpuSeconds)} (user+sys)";
        if (PostgresCpuSeconds is not null)
        {
            text += $"; postgres: CPU {Format.Seconds(PostgresCpuSeconds)}, RSS now {Format.Mb(PostgresRssKb)} (all its processes, shared memory counted in each)";
        }
        return text;
    }
}

/// <summary>
/// Where the requests go: the given base URL (and, optionally, the pid of that server for its memory), or a service
/// started here from the Release build output with its own SQLite file or throwaway PostgreSQL cluster, on a free
/// loopback port, stopped and removed at the end.
/// </summary>
public sealed class Target : IAsyncDisposable
{
    private readonly Process? process;
    private readonly StreamWriter? serverLog;
    private readonly string? tempDirectory;
    private readonly TextWriter log;

    private Target(Uri baseUrl, int? serverPid, string description, TextWriter log, Process? process = null,
        StreamWriter? serverLog = null, string? tempDirectory = null, PgCluster? postgres = null, string? serverLogPath = null, Uri? grpcUrl = null)
    {
        BaseUrl = baseUrl;
        GrpcUrl = grpcUrl;
        ServerPid = serverPid;
        Description = description;
        this.log = log;
        this.process = process;
        this.serverLog = serverLog;
        this.tempDirectory = tempDirectory;
        Postgres = postgres;
        ServerLogPath = serverLogPath;
    }

    public Uri BaseUrl { get; }

    /// <summary>The gRPC API (h2c): the service's --grpc-port when started here, else --grpc-url; null when not known.</summary>
    public Uri? GrpcUrl { get; }

    /// <summary>The server's pid when it runs on this machine and is known (started here or --server-pid).</summary>
    public int? ServerPid { get; }

    public string Description { get; }

    public PgCluster? Postgres { get; }

    public string? ServerLogPath { get; }

    /// <summary>A scratch directory for generated files: the run's temp directory, removed at the end.</summary>
    public string ScratchDirectory => tempDirectory ?? Path.GetTempPath();

    public static Target External(Uri baseUrl, int? serverPid, TextWriter log, Uri? grpcUrl = null)
    {
        if (!baseUrl.IsLoopback)
        {
            log.WriteLine($"note: {baseUrl} is not a loopback address; the bench sends its requests there and nowhere else");
        }
        return new Target(baseUrl, serverPid, $"{baseUrl} (given)", log, grpcUrl: grpcUrl);
    }

    /// <summary>Starts the Release build of the service (building it first only if it is missing).</summary>
    /// <param name="extraArguments">More options of the service's command line (e.g. --postgis off).</param>
    public static async Task<Target> StartAsync(string backend, string? serverDll, long maxBodyBytes, string logLevel, TextWriter log, CancellationToken cancellationToken,
        IReadOnlyList<string>? extraArguments = null)
    {
        var dll = serverDll ?? await ReleaseBuildAsync(log, cancellationToken);
        var temp = Directory.CreateTempSubdirectory("analyzer-bench-").FullName;
        PgCluster? postgres = null;
        Process? process = null;
        StreamWriter? serverLog = null;
        try
        {
            string db;
            if (backend == "postgres")
            {
                postgres = await PgCluster.StartAsync(temp, log, cancellationToken);
                db = postgres.Url;
            }
            else
            {
                db = "sqlite://" + Path.Combine(temp, "analyzer.db");
            }
            var serverLogPath = Path.Combine(temp, "server.log");
            serverLog = new StreamWriter(serverLogPath) { AutoFlush = true };
            for (var attempt = 1; ; attempt++)
            {
                var port = Processes.FreePort();
                var grpcPort = Processes.FreePort();
                process = Launch(dll, port, grpcPort, db, maxBodyBytes, logLevel, temp, serverLog, extraArguments ?? []);
                var baseUrl = new Uri($"http://127.0.0.1:{port}");
                if (await WaitForHealthAsync(baseUrl, process, cancellationToken))
                {
                    log.WriteLine($"service: {dll} (built {File.GetLastWriteTimeUtc(dll):yyyy-MM-dd HH:mm} UTC), pid {process.Id}, {baseUrl}, {backend}");
                    return new Target(baseUrl, process.Id, $"{baseUrl} ({backend}, started by the bench)", log, process, serverLog, temp, postgres, serverLogPath,
                        new Uri($"http://127.0.0.1:{grpcPort}"));
                }
                var exited = process.HasExited;
                await StopProcessAsync(process);
                process.Dispose();
                process = null;
                if (!exited || attempt == 3)
                {
                    throw new BenchException($"the service did not answer /health in time; its log:\n{Processes.Tail(serverLogPath)}");
                }
                // It exited, perhaps because the port was taken between choosing and binding it: try another.
            }
        }
        catch
        {
            if (process is not null)
            {
                await StopProcessAsync(process);
                process.Dispose();
            }
            if (serverLog is not null)
            {
                await serverLog.DisposeAsync();
            }
            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }
            TryDelete(temp, log);
            throw;
        }
    }

    public ServerReport Report()
    {
        var postgresPid = Postgres?.PostmasterPid;
        return new ServerReport(
            ServerPid is { } pid ? ProcStats.PeakRssKb(pid) : null,
            ServerPid is { } p ? ProcStats.CpuSeconds(p) : null,
            postgresPid is { } pg ? ProcStats.TreeCpuSeconds(pg) : null,
            postgresPid is { } pg2 ? ProcStats.TreeRssKb(pg2) : null);
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await StopProcessAsync(process);
            process.Dispose();
        }
        if (serverLog is not null)
        {
            await serverLog.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        if (tempDirectory is not null)
        {
            TryDelete(tempDirectory, log);
        }
    }

    private static Process Launch(string dll, int port, int grpcPort, string db, long maxBodyBytes, string logLevel, string workingDirectory, StreamWriter serverLog,
        IReadOnlyList<string> extraArguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        string[] arguments =
        [
            dll, "serve", "--api-address", "127.0.0.1", "--api-port", port.ToString(CultureInfo.InvariantCulture),
            "--grpc-port", grpcPort.ToString(CultureInfo.InvariantCulture), "--db", db,
            "--log-level", logLevel, "--log-format", "text",
            "--max-request-body-bytes", maxBodyBytes.ToString(CultureInfo.InvariantCulture),
            "--max-upload-bytes", maxBodyBytes.ToString(CultureInfo.InvariantCulture),
            .. extraArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The service's own settings come from the command line only, not from this shell's ANALYZER_* variables.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new BenchException("cannot start dotnet");
        var serverLogLock = new Lock();
        void Write(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (serverLogLock)
                {
                    serverLog.WriteLine(e.Data);
                }
            }
        }
        process.OutputDataReceived += Write;
        process.ErrorDataReceived += Write;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<bool> WaitForHealthAsync(Uri baseUrl, Process process, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 120; attempt++) // at most ~60 s
        {
            if (process.HasExited)
            {
                return false;
            }
            try
            {
                using var response = await client.GetAsync(new Uri(baseUrl, "/health"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Not listening yet: try again.
            }
            await Task.Delay(500, cancellationToken);
        }
        return false;
    }

    private static async Task StopProcessAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        ProcStats.Terminate(process.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>src/Analyzer/bin/Release/net10.0/analyzer.dll of this repository, built with dotnet build -c Release if missing.</summary>
    public static async Task<string> ReleaseBuildAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var dll = Path.Combine(root, "src", "Analyzer", "bin", "Release", "net10.0", "analyzer.dll");
        if (!File.Exists(dll))
        {
            log.WriteLine($"service: {dll} is missing; dotnet build -c Release src/Analyzer");
            await Processes.RunAsync("dotnet", ["build", "-c", "Release", "-nologo", "-v", "q", Path.Combine("src", "Analyzer")],
                TimeSpan.FromMinutes(10), cancellationToken, root);
        }
        return dll;
    }

    /// <summary>The directory with Analyzer.slnx above the working directory or this program.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in (string[])[Environment.CurrentDirectory, AppContext.BaseDirectory])
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Analyzer.slnx")))
                {
                    return directory.FullName;
                }
            }
        }
        throw new BenchException("cannot find the repository (Analyzer.slnx) above the working directory; pass --server-dll");
    }

    private static void TryDelete(string directory, TextWriter log)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"note: could not remove {directory}: {e.Message}");
        }
    }
}
