using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Analyzer.Storage;
using Npgsql;

namespace Analyzer.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL server for the whole test run: <c>initdb</c>/<c>pg_ctl</c> from PATH or
/// /usr/lib/postgresql/*/bin (as the postgres user when running as root), trust auth, a free port on
/// 127.0.0.1, a temp directory removed when the run ends — or the server of ANALYZER_TEST_PG_URL. A migrated
/// template database is created once; <see cref="CreateDatabaseAsync"/> clones it for each test class.
/// </summary>
public sealed class PostgresCluster
{
    private const string TemplateDatabase = "analyzer_template";

    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync);

    private readonly NpgsqlConnectionStringBuilder server;
    private readonly Action? stop;

    private PostgresCluster(NpgsqlConnectionStringBuilder server, Action? stop) => (this.server, this.stop) = (server, stop);

    public static Task<PostgresCluster> Instance => Shared.Value;

    public static bool Required => Environment.GetEnvironmentVariable("ANALYZER_REQUIRE_PG") == "1";

    private static string? ExternalUrl => Environment.GetEnvironmentVariable("ANALYZER_TEST_PG_URL");

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can.</summary>
    public static string? UnavailableReason { get; } = FindUnavailableReason();

    private static string? FindUnavailableReason()
    {
        if (!string.IsNullOrEmpty(ExternalUrl))
        {
            return null;
        }
        if (FindBinDirectory() is null)
        {
            return "PostgreSQL tests skipped: no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin, and ANALYZER_TEST_PG_URL is not set";
        }
        if (Environment.UserName == "root" && !File.ReadLines("/etc/passwd").Any(line => line.StartsWith("postgres:", StringComparison.Ordinal)))
        {
            return "PostgreSQL tests skipped: running as root and there is no postgres user to run initdb as";
        }
        return null;
    }

    /// <summary>
    /// Why tests of the PostGIS path cannot run here, or null: the server's share folder has no postgis extension
    /// (Debian: apt-get install postgresql-15-postgis-3). An external server (ANALYZER_TEST_PG_URL) is trusted to have it.
    /// </summary>
    public static string? PostGisUnavailableReason { get; } = FindPostGisUnavailableReason();

    private static string? FindPostGisUnavailableReason()
    {
        if (UnavailableReason is not null || !string.IsNullOrEmpty(ExternalUrl))
        {
            return UnavailableReason;
        }
        var version = Path.GetFileName(Path.GetDirectoryName(FindBinDirectory()!));
        var control = $"/usr/share/postgresql/{version}/extension/postgis.control";
        return File.Exists(control) ? null : $"PostGIS tests skipped: {control} is missing (apt-get install postgresql-{version}-postgis-3)";
    }

    /// <summary>A fresh database cloned from the migrated template, as a postgresql:// URL.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "analyzer_test_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(server.ConnectionString, $"CREATE DATABASE {name} TEMPLATE {TemplateDatabase}");
        return UrlOf(name);
    }

    /// <summary>A fresh empty database (no tables), for migration tests.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = "analyzer_empty_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(server.ConnectionString, $"CREATE DATABASE {name}");
        return UrlOf(name);
    }

    private string UrlOf(string database) =>
        $"postgresql://{Uri.EscapeDataString(server.Username!)}:{Uri.EscapeDataString(server.Password ?? "")}@{server.Host}:{server.Port}/{database}";

    private static async Task<PostgresCluster> StartAsync()
    {
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason + (Required ? " (ANALYZER_REQUIRE_PG=1 makes this a failure)" : ""));
        }
        var cluster = ExternalUrl is { Length: > 0 } url ? FromUrl(url) : await StartLocalAsync();
        await ExecuteAsync(cluster.server.ConnectionString, $"DROP DATABASE IF EXISTS {TemplateDatabase}");
        await ExecuteAsync(cluster.server.ConnectionString, $"CREATE DATABASE {TemplateDatabase}");
        var template = new NpgsqlConnectionStringBuilder(cluster.server.ConnectionString) { Database = TemplateDatabase, Pooling = false };
        await using (var store = new PostgresDatabase(template.ConnectionString))
        {
            await new Migrator(store).UpgradeAsync(null, CancellationToken.None);
        }
        return cluster;
    }

    private static PostgresCluster FromUrl(string url)
    {
        if (!DatabaseUrl.TryParse(url, out var parsed, out var error) || parsed.Kind != DatabaseKind.Postgres)
        {
            throw new InvalidOperationException($"ANALYZER_TEST_PG_URL: {error ?? "not a postgresql:// URL"}");
        }
        return new PostgresCluster(new NpgsqlConnectionStringBuilder(parsed.ConnectionString), stop: null);
    }

    private static async Task<PostgresCluster> StartLocalAsync()
    {
        var bin = FindBinDirectory()!;
        RemoveAbandonedClusters();
        var root = Directory.CreateTempSubdirectory(ClusterDirectoryPrefix).FullName;
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres", root], asPostgres: false);
        }
        var data = Path.Combine(root, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--wal-segsize=1"], asRoot);

        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c min_wal_size=4MB -c max_wal_size=64MB";
            try
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"], asRoot);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                continue; // the port was taken between choosing and binding it
            }
            var gate = new Lock();
            var stopped = false;
            void Stop()
            {
                // A second caller (the exit handler, while the end of the run is stopping it) waits until the
                // directory is gone: returning at once would let the process end half-way through.
                lock (gate)
                {
                    if (stopped)
                    {
                        return;
                    }
                    stopped = true;
                    try
                    {
                        RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asRoot).GetAwaiter().GetResult();
                    }
                    finally
                    {
                        RemoveDirectory(root);
                    }
                }
            }
            // The test framework stops it when the run ends (AnalyzerTestFramework.EndOfRun). The exit handler alone
            // left a stopped cluster's directory behind after every run: the test platform ends a test host soon
            // after the run, before the handler had deleted it. The handler stays, and a reaper outside this
            // process finishes the job whenever the host ends before it is done (killed, crashed, timed out).
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
            StartReaper(bin, data, root, asRoot);
            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
                Pooling = false,
            };
            return new PostgresCluster(builder, Stop);
        }
    }

    internal const string ClusterDirectoryPrefix = "analyzer-pg-";

    /// <summary>Stops the cluster this run started, if it started one, and removes its directory (once).</summary>
    public static void StopShared()
    {
        if (Shared.IsValueCreated && Shared.Value.IsCompletedSuccessfully)
        {
            Shared.Value.Result.stop?.Invoke();
        }
    }

    /// <summary>
    /// A detached shell (its own session, so that killing the test host's process tree spares it) that waits for
    /// this process to end, then stops the cluster if it still runs and removes its directory.
    /// </summary>
    private static void StartReaper(string bin, string data, string root, bool asRoot)
    {
        static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var pgCtl = (asRoot ? "runuser -u postgres -- " : "") + Quote(Path.Combine(bin, "pg_ctl"));
        var script = "exec </dev/null >/dev/null 2>&1; " +
            $"while kill -0 {Environment.ProcessId}; do sleep 0.2; done; " +
            $"if [ -d {Quote(root)} ]; then {pgCtl} -D {Quote(data)} -m immediate -w stop; rm -rf {Quote(root)}; fi";
        var start = new ProcessStartInfo("setsid", ["-f", "sh", "-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var reaper = Process.Start(start)!;
        reaper.WaitForExit(); // setsid -f returns once the shell runs on its own
    }

    /// <summary>Removes a stopped cluster's directory; a server process still exiting may write into it, so it tries a few times.</summary>
    private static void RemoveDirectory(string root)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(root, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 10)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>
    /// The test host may be killed before its exit handler has removed the cluster's directory: remove
    /// the directories of earlier runs whose server is no longer running.
    /// </summary>
    private static void RemoveAbandonedClusters()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), ClusterDirectoryPrefix + "*"))
        {
            var pidFile = Path.Combine(directory, "data", "postmaster.pid");
            try
            {
                var alive = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}");
                var recent = Directory.GetLastWriteTimeUtc(directory) > DateTime.UtcNow.AddMinutes(-5);
                if (alive || recent)
                {
                    continue; // another test run's server, or one still starting
                }
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run is starting in it or removing it: leave it.
            }
        }
    }

    internal static string? FindBinDirectory()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
        if (onPath is not null)
        {
            return onPath;
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                .OrderByDescending(dir => int.TryParse(Path.GetFileName(Path.GetDirectoryName(dir)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
