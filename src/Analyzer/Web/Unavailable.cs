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
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteCantOpen = 14;

    /// <summary>
    /// True for connection failures: an <see cref="NpgsqlException"/> caused by the network (socket, I/O, timeout),
    /// PostgreSQL's connection exceptions (08xxx) and shutdowns (57P01 admin, 57P02 crash, 57P03 cannot connect now),
    /// SQLite's busy, locked and cannot-open; and a <see cref="DatabaseUnavailableException"/>. Inner exceptions count.
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
                    return (sqlite.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked or SqliteCantOpen;
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
