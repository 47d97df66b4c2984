using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Storage;

public enum DatabaseKind { Sqlite, Postgres }

/// <summary>
/// The one place that turns a <c>--db</c> URL into a back end and its connection string:
/// <c>postgresql://user:password@host:port/dbname?option=value</c>, <c>sqlite:relative/path</c>
/// or <c>sqlite:///absolute/path</c>.
/// </summary>
public sealed record DatabaseUrl(DatabaseKind Kind, string ConnectionString, string SafeDisplay)
{
    /// <summary>For SQLite: the database file, absolute.</summary>
    public string? FilePath { get; private init; }

    private static readonly Dictionary<string, string> PostgresQueryAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["options"] = "Options",
    };

    public static bool TryParse(string? url, [NotNullWhen(true)] out DatabaseUrl? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        error = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "the database URL is empty; use postgresql://user:password@host:port/dbname or sqlite:PATH";
            return false;
        }
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseSqlite(url["sqlite:".Length..], out result, out error);
        }
        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParsePostgres(url, out result, out error);
        }
        // The URL itself is not repeated: it may hold a password.
        var scheme = url.Contains(':', StringComparison.Ordinal) ? url[..url.IndexOf(':', StringComparison.Ordinal)] : url;
        error = $"unsupported database URL scheme '{scheme}'; use postgresql://user:password@host:port/dbname or sqlite:PATH";
        return false;
    }

    private static bool TryParseSqlite(string rest, out DatabaseUrl? result, out string? error)
    {
        result = null;
        error = null;
        // sqlite:///abs/path is an absolute path; sqlite:rel/path is relative to the working directory.
        var path = rest.StartsWith("///", StringComparison.Ordinal) ? rest[2..]
            : rest.StartsWith("//", StringComparison.Ordinal) ? null
            : rest;
        if (string.IsNullOrWhiteSpace(path) || path.Contains('?', StringComparison.Ordinal))
        {
            error = $"bad SQLite URL 'sqlite:{rest}'; use sqlite:relative/path.db or sqlite:///absolute/path.db";
            return false;
        }
        var fullPath = Path.GetFullPath(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        result = new DatabaseUrl(DatabaseKind.Sqlite, connectionString, "sqlite:" + fullPath) { FilePath = fullPath };
        return true;
    }

    private static bool TryParsePostgres(string url, out DatabaseUrl? result, out string? error)
    {
        result = null;
        error = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = $"bad PostgreSQL URL; use postgresql://user:password@host:port/dbname";
            return false;
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            // Npgsql resets a pooled connection's session state (RESET ALL, UNLISTEN, advisory unlock, DISCARD ...) before
            // each reuse: six more statements on every request. The service leaves no session state behind (no SET, no
            // temporary table, no LISTEN; its one session-level lock, the relay's, is released explicitly), so it skips
            // that: PostgreSQL's CPU per cached GET went down by a third. A URL option can set it back.
            NoResetOnClose = true,
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            error = "bad PostgreSQL URL: name the database, as in postgresql://user:password@host:5432/analyzer";
            return false;
        }
        builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[PostgresQueryAliases.GetValueOrDefault(key, key)] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                error = $"bad PostgreSQL URL option '{key}={value}': {e.Message}";
                return false;
            }
        }
        var display = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        result = new DatabaseUrl(DatabaseKind.Postgres, builder.ConnectionString, display);
        return true;
    }
}
