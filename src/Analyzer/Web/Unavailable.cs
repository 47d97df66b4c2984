using System.Globalization;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Web;

/// <summary>
/// The one place that tells "the database cannot be reached or is busy right now" (503 with <c>Retry-After</c>:
/// the same request may well succeed later) from every other failure (500, logged with the request id).
/// The exception handler of <see cref="WebPipeline"/> asks <see cref="IsUnavailable"/> of every unhandled exception.
/// </summary>
public static class Unavailable
{
    /// <summary>The <c>Retry-After</c> of a 503: a restarting database or a finishing upload usually takes seconds.</summary>
    public const int RetryAfterSeconds = 5;

    public const string Title = "Service Unavailable";

    /// <summary>The SQLite primary result codes of a database that is there but cannot be used now.</summary>
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteIoError = 10, SqliteFull = 13, SqliteCantOpen = 14;

    public const string FullTitle = "Insufficient Storage";

    public static string FullDetail =>
        "The database's disk is full: nothing was stored. Reads still work; send the request again once space has been freed.";

    /// <summary>
    /// True when the database's disk is full (SQLite's SQLITE_FULL, PostgreSQL's 53100 disk_full): answered 507, which
    /// tells the client that retrying will not help until an operator frees space. Inner exceptions count.
    /// </summary>
    public static bool IsStorageFull(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite:
                    return (sqlite.SqliteErrorCode & 0xFF) == SqliteFull;
                case PostgresException postgres:
                    return postgres.SqlState == PostgresErrorCodes.DiskFull;
                case IOException io when io.HResult == DiskFullHResult:
                    return true;
            }
        }
        return false;
    }

    /// <summary>ENOSPC as .NET reports it on Linux (an upload spooled to a full disk).</summary>
    private const int DiskFullHResult = 28;

    /// <summary>
    /// True for connection failures: an <see cref="NpgsqlException"/> caused by the network (socket, I/O, timeout),
    /// PostgreSQL's connection exceptions (08xxx) and shutdowns (57P01 admin, 57P02 crash, 57P03 cannot connect now),
    /// SQLite's busy, locked, cannot-open, read-only (the file or its file system made read-only) and I/O errors; and a
    /// <see cref="DatabaseUnavailableException"/>. Inner exceptions count.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case DatabaseUnavailableException:
                    return true;
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
                case NpgsqlException npgsql when npgsql.InnerException is SocketException or IOException or TimeoutException:
                    return true;
                case SqliteException sqlite:
                    return (sqlite.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked or SqliteCantOpen or SqliteReadOnly or SqliteIoError;
            }
        }
        return false;
    }

    /// <summary>Sets <c>Retry-After</c> on the response (before it starts).</summary>
    public static void SetRetryAfter(HttpResponse response) =>
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

    public static string Detail =>
        $"The database cannot be reached or is busy right now; send the request again in {RetryAfterSeconds} seconds.";
}

/// <summary>A failure of the database that a later attempt may not meet: answered 503 with <c>Retry-After</c>.</summary>
public sealed class DatabaseUnavailableException(string message, Exception inner) : Exception(message, inner);
