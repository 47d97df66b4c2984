using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Analyzer.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Cli;

/// <summary>
/// What <c>serve</c> and the <c>db</c> commands check before they work, so that an environment they cannot work in
/// is refused with one line that names the option or path and what to do (exit code 1), never a stack trace:
/// the listening port, the database (its SQLite folder, its PostgreSQL host, waited for with <c>--db-wait</c>),
/// the schema under <c>--no-migrate</c>, and a downgrade that would drop the uploaded datasets.
/// </summary>
internal static class StartupChecks
{
    /// <summary>The longest pause between two attempts to reach the database.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Binds and releases every address of <paramref name="hosts"/> (see <see cref="Web.ListenAddress"/>) on
    /// <paramref name="port"/>: the error line when one cannot be listened on. Kestrel would find out too, but
    /// only after the database was migrated, and with a stack trace in the log.
    /// </summary>
    public static string? CheckPort(IReadOnlyList<string> hosts, int port, string addressOption, string portOption)
    {
        var addresses = hosts.SelectMany(host => host == Web.ListenAddress.Localhost
            ? [(IPAddress.Loopback, Required: true), (IPAddress.IPv6Loopback, Required: false)]
            : new[] { (IPAddress.Parse(host.Trim('[', ']')), Required: true) });
        foreach (var (address, required) in addresses)
        {
            try
            {
                using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen();
            }
            catch (SocketException e) when (required || e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                var endpoint = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
                return e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse =>
                        $"{portOption} {port}: {endpoint} is already in use (address already in use); stop what listens there or choose another port",
                    SocketError.AccessDenied =>
                        $"{portOption} {port}: not allowed to listen on {endpoint} ({e.Message}); choose a port above 1023",
                    SocketError.AddressNotAvailable =>
                        $"{addressOption} {address}: no network interface of this machine has that address; choose one it has, or 0.0.0.0",
                    _ => $"cannot listen on {endpoint} ({addressOption}, {portOption}): {e.Message}",
                };
            }
            catch (SocketException)
            {
                // ::1 of localhost where IPv6 is off: Kestrel does without it too.
            }
        }
        return null;
    }

    /// <summary>
    /// Opens <paramref name="open"/>'s database and one connection to it. A database that cannot be reached (yet) is
    /// tried again, each attempt logged, until <paramref name="wait"/> has passed; the error line when it never was.
    /// </summary>
    public static async Task<string?> ConnectAsync(
        Func<Database> open, DatabaseUrl url, TimeSpan wait, string waitOption, ILogger? logger, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = await open().ConnectAsync(cancellationToken);
                if (attempt > 1)
                {
                    logger?.LogInformation("Reached the database {Database} at attempt {Attempt}", url.SafeDisplay, attempt);
                }
                return null;
            }
            catch (Exception e) when (IsDatabaseFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                var reason = Describe(e, url);
                var remaining = wait - TimeProvider.System.GetElapsedTime(started);
                if (!IsTransient(e) || remaining <= TimeSpan.Zero)
                {
                    return IsTransient(e) && wait > TimeSpan.Zero
                        ? $"{reason}; gave up after {attempt} attempts in {wait.TotalSeconds:0} s ({waitOption}): check that the database is running and reachable, or wait longer with {waitOption}"
                        : reason;
                }
                var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempt - 1), MaxRetryDelay.TotalSeconds));
                delay = delay < remaining ? delay : remaining;
                logger?.LogWarning("Waiting for the database (attempt {Attempt}): {Reason}; next attempt in {Delay} s, for up to {Wait} s ({WaitOption})",
                    attempt, reason, Math.Round(delay.TotalSeconds, 1), Math.Round(wait.TotalSeconds), waitOption);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    private static bool IsDatabaseFailure(Exception e) =>
        e is DbException or SocketException or TimeoutException or IOException or UnauthorizedAccessException or OperationCanceledException;

    /// <summary>Worth another attempt: the database may come up (PostgreSQL starting, its host not in DNS yet); a wrong password or a bad path will not change.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        SqliteException => false,
        NpgsqlException npgsql => npgsql.IsTransient || Find<SocketException>(e) is not null,
        SocketException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };

    /// <summary>One line on why the database cannot be used: the SQLite path or the PostgreSQL host, and what to do.</summary>
    public static string Describe(Exception e, DatabaseUrl url)
    {
        if (url.Kind == DatabaseKind.Sqlite)
        {
            var path = url.FilePath!;
            var folder = Path.GetDirectoryName(path)!;
            for (var ancestor = folder; !string.IsNullOrEmpty(ancestor); ancestor = Path.GetDirectoryName(ancestor))
            {
                if (File.Exists(ancestor))
                {
                    return $"cannot create the folder of the SQLite database {path} (--db): {ancestor} is a file; move it away or choose another path with --db";
                }
            }
            return e switch
            {
                SqliteException sqlite =>
                    $"cannot open the SQLite database {path} (--db): {Message(sqlite)}; make {folder} writable for this user or choose another path with --db",
                _ => $"cannot create the folder {folder} of the SQLite database (--db): {Message(e)}; create it writable for this user or choose another path with --db",
            };
        }
        var builder = new NpgsqlConnectionStringBuilder(url.ConnectionString);
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } dns)
        {
            return $"cannot resolve the database host '{builder.Host}' of --db {url.SafeDisplay}: {dns.Message}; check the host name";
        }
        var socket = Find<SocketException>(e);
        var detail = socket?.Message ?? (e is OperationCanceledException ? "timed out" : Message(e));
        return $"cannot connect to the database {url.SafeDisplay} (host {builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}, --db): {detail}";
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static string Message(Exception e) => e.Message.Split('\n')[0].Trim().TrimEnd('.');

    /// <summary>
    /// The migrations recorded as applied, read without writing anything (<see cref="Migrator"/> creates its table
    /// first, which <c>--no-migrate</c> must not): none when the database has no <c>schema_migrations</c> yet.
    /// </summary>
    public static async Task<IReadOnlySet<int>> AppliedVersionsAsync(Database database, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        var applied = new HashSet<int>();
        try
        {
            await using var command = session.Command("SELECT version FROM schema_migrations");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }
        catch (DbException) when (applied.Count == 0)
        {
            // no schema_migrations: nothing applied
        }
        return applied;
    }

    /// <summary>With <c>--no-migrate</c>: the error line when a migration this executable needs is not applied.</summary>
    public static async Task<string?> CheckSchemaAsync(Database database, Migrator migrator, CancellationToken cancellationToken)
    {
        var applied = await AppliedVersionsAsync(database, cancellationToken);
        var missing = migrator.Migrations.Where(m => !applied.Contains(m.Version)).ToList();
        return missing.Count == 0
            ? null
            : $"the database schema is behind (version {applied.DefaultIfEmpty(0).Max():D4}, this service needs {migrator.Head:D4}: "
                + $"{string.Join(", ", missing.Select(m => $"{m.Version:D4} {m.Name}"))} not applied) and --no-migrate is set; "
                + "run 'analyzer db upgrade' with the same --db first, or start without --no-migrate";
    }

    /// <summary>
    /// The error line when downgrading to <paramref name="target"/> would revert the datasets migration while datasets
    /// exist: it drops their catalog (and on PostgreSQL their tables), and nothing can bring them back.
    /// </summary>
    public static async Task<string?> CheckDowngradeAsync(Database database, Migrator migrator, int target, CancellationToken cancellationToken)
    {
        if (migrator.Migrations.FirstOrDefault(m => m.Name == "datasets") is not { } datasets || target >= datasets.Version
            || !(await AppliedVersionsAsync(database, cancellationToken)).Contains(datasets.Version))
        {
            return null;
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT count(*) FROM datasets");
        var count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return count == 0
            ? null
            : $"downgrading to {target:D4} reverts migration {datasets.Version:D4} {datasets.Name}, which deletes the {count} uploaded "
                + $"dataset{(count == 1 ? "" : "s")} (on PostgreSQL with their rows); export what you need, then repeat with --force";
    }
}
