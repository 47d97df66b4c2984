using System.Globalization;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Reliability;

/// <summary>
/// A PostgreSQL server of one test's own, which it may stop, start and restart (the shared
/// <see cref="PostgresCluster"/> serves every other test and must stay up): initdb and pg_ctl as the shared one does,
/// in a directory the shared cluster's clean-up also recognises (<c>analyzer-pg-*</c>), stopped and removed on disposal.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    private readonly string bin;
    private readonly string root;
    private readonly bool asRoot = Environment.UserName == "root";

    private OwnPostgres(string bin, string root, int port) => (this.bin, this.root, Port) = (bin, root, port);

    public int Port { get; }

    private string Data => Path.Combine(root, "data");

    /// <summary>The service's --db.</summary>
    public string Url => $"postgresql://postgres@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/postgres";

    /// <summary>Creates the cluster; <paramref name="start"/> false leaves it stopped (a database down when the service starts).</summary>
    public static async Task<OwnPostgres> CreateAsync(bool start)
    {
        var bin = PostgresCluster.FindBinDirectory() ?? throw new InvalidOperationException(PostgresCluster.UnavailableReason);
        var root = Directory.CreateTempSubdirectory(PostgresCluster.ClusterDirectoryPrefix).FullName;
        var cluster = new OwnPostgres(bin, root, AnalyzerProcess.FreePort());
        if (cluster.asRoot)
        {
            await PostgresCluster.RunAsync("chown", ["postgres", root], asPostgres: false);
        }
        await cluster.PgAsync("initdb", "-D", cluster.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
        if (start)
        {
            await cluster.StartAsync();
        }
        return cluster;
    }

    private Task PgAsync(string program, params string[] arguments) => PostgresCluster.RunAsync(Path.Combine(bin, program), arguments, asRoot);

    public Task StartAsync() => PgAsync("pg_ctl", "-D", Data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o",
        $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary><c>pg_ctl restart -m fast</c>: sessions are ended (57P01), the server is down for a moment, then accepts connections again.</summary>
    public Task RestartAsync() => PgAsync("pg_ctl", "-D", Data, "-l", Path.Combine(root, "server.log"), "-m", "fast", "-w", "-t", "60", "restart");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // it was not running
        }
        Directory.Delete(root, recursive: true);
    }
}
