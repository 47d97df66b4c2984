using System.Globalization;

namespace Analyzer.Bench;

/// <summary>
/// A throwaway PostgreSQL server for one benchmark run: initdb/pg_ctl from PATH or /usr/lib/postgresql/*/bin (as
/// the postgres user when running as root), trust auth, a free port on 127.0.0.1, a directory under the run's temp
/// directory. Unlike the tests' cluster it keeps PostgreSQL's durable defaults (fsync, synchronous_commit,
/// full_page_writes on): this measures the real thing.
/// </summary>
public sealed class PgCluster : IAsyncDisposable
{
    private readonly string bin;
    private readonly string data;
    private readonly bool asRoot;
    private bool stopped;

    private PgCluster(string bin, string root, string data, int port, bool asRoot)
    {
        this.bin = bin;
        Root = root;
        this.data = data;
        Port = port;
        this.asRoot = asRoot;
    }

    public const string Database = "analyzer";

    public string Root { get; }

    public int Port { get; }

    public string Url => $"postgresql://postgres@127.0.0.1:{Port}/{Database}";

    public string Psql => File.Exists(Path.Combine(bin, "psql")) ? Path.Combine(bin, "psql") : "psql";

    /// <summary>The postmaster's pid (its backends are its children), or null when it is not running.</summary>
    public int? PostmasterPid =>
        File.Exists(Path.Combine(data, "postmaster.pid"))
        && int.TryParse(File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? pid
            : null;

    public static async Task<PgCluster> StartAsync(string parent, TextWriter log, CancellationToken cancellationToken)
    {
        var bin = FindBinDirectory()
            ?? throw new BenchException("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; install the Debian package postgresql");
        var asRoot = Environment.UserName == "root";
        var root = Path.Combine(parent, "pg");
        Directory.CreateDirectory(root);
        if (asRoot)
        {
            // The postgres user must be able to reach its directory inside the run's (private) temp directory.
            File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            await Processes.RunAsync("chown", ["postgres", root], TimeSpan.FromSeconds(30), cancellationToken);
        }
        var data = Path.Combine(root, "data");
        log.WriteLine($"postgres: initdb in {data} ({bin})");
        await RunAsPostgresAsync(asRoot, Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], TimeSpan.FromMinutes(2), cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var port = Processes.FreePort();
            var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200";
            try
            {
                await RunAsPostgresAsync(asRoot, Path.Combine(bin, "pg_ctl"),
                    ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"], TimeSpan.FromSeconds(90), cancellationToken);
            }
            catch (BenchException) when (attempt < 3)
            {
                continue; // the port was taken between choosing and binding it
            }
            var cluster = new PgCluster(bin, root, data, port, asRoot);
            try
            {
                await cluster.PsqlAsync("postgres", $"CREATE DATABASE {Database}", TimeSpan.FromSeconds(60), cancellationToken);
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
            log.WriteLine($"postgres: listening on 127.0.0.1:{port} (fsync on, default settings)");
            return cluster;
        }
    }

    /// <summary>Runs SQL (or a psql script with -f) against <paramref name="database"/>; returns psql's standard output.</summary>
    public Task<string> PsqlAsync(string database, string sql, TimeSpan timeout, CancellationToken cancellationToken, bool isFile = false) =>
        Processes.RunAsync(Psql,
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database,
             isFile ? "-f" : "-c", sql],
            timeout, cancellationToken);

    /// <summary>Connections to the service's database now, as pg_stat_activity lists them (psql's own left out).</summary>
    public async Task<int> ConnectionsAsync(CancellationToken cancellationToken)
    {
        var output = await Processes.RunAsync(Psql,
            ["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres",
             "-c", $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{Database}' AND pid <> pg_backend_pid()"],
            TimeSpan.FromSeconds(30), cancellationToken);
        return int.Parse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (stopped)
        {
            return;
        }
        stopped = true;
        try
        {
            await RunAsPostgresAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"], TimeSpan.FromSeconds(90), CancellationToken.None);
        }
        catch (BenchException)
        {
            if (PostmasterPid is { } pid)
            {
                await Processes.RunAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), CancellationToken.None);
            }
        }
    }

    private static Task<string> RunAsPostgresAsync(bool asRoot, string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        asRoot
            ? Processes.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], timeout, cancellationToken)
            : Processes.RunAsync(program, arguments, timeout, cancellationToken);

    private static string? FindBinDirectory()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
        if (onPath is not null)
        {
            // /usr/local/bin/initdb may be a link into /usr/lib/postgresql/N/bin, where psql is too.
            var target = new FileInfo(Path.Combine(onPath, "initdb")).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? onPath : Path.GetDirectoryName(target.FullName)!;
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                .OrderByDescending(dir => int.TryParse(Path.GetFileName(Path.GetDirectoryName(dir)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }
}
