using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Analyzer.Storage;

/// <summary>
/// The embedded default: one database file in WAL mode. SQLite has one writer at a time: a write
/// transaction (<c>BEGIN IMMEDIATE</c>) is every resource's lock at once, and readers work on snapshots.
/// </summary>
public sealed class SqliteDatabase : Database
{
    private readonly string connectionString;

    /// <param name="busyTimeoutSeconds">
    /// How long a statement waits for another connection's lock (SQLite's one writer) before it fails with
    /// SQLITE_BUSY, answered 503 (<see cref="Web.Unavailable"/>); null keeps the URL's.
    /// </param>
    public SqliteDatabase(DatabaseUrl url, int? busyTimeoutSeconds = null)
    {
        connectionString = busyTimeoutSeconds is { } seconds
            ? new SqliteConnectionStringBuilder(url.ConnectionString) { DefaultTimeout = seconds }.ToString()
            : url.ConnectionString;
        Directory.CreateDirectory(Path.GetDirectoryName(url.FilePath!)!);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        command.ExecuteNonQuery();
    }

    public override SqlDialect Dialect => SqlDialect.Sqlite;

    public override bool OneWriterAtATime => true;

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, "PRAGMA synchronous = NORMAL");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    protected override Task<DbTransaction> BeginTransactionAsync(DbConnection connection, bool write, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: !write));

    protected override Task LockAsync(DbSession session, ResourceLock resource, CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task<long> BulkInsertAsync<T>(
        DbSession session, string table, IReadOnlyList<string> columns, IEnumerable<T> rows, Action<T, IRowWriter> writeRow,
        CancellationToken cancellationToken)
    {
        await using var insert = session.Command(
            $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})");
        var writer = new ParameterRowWriter([.. columns.Select((_, i) => insert.AddParameter($"@p{i}", DBNull.Value))]);
        long count = 0;
        foreach (var row in rows)
        {
            writer.Start();
            writeRow(row, writer);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            count++;
        }
        return count;
    }

    /// <summary>Closes the pooled connections, so that the last one checkpoints the WAL into the database file.</summary>
    public override ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Sets the INSERT's parameters in column order, with the values SQLite stores (<see cref="SqlDialect.ToParameter"/>).</summary>
    private sealed class ParameterRowWriter(DbParameter[] parameters) : IRowWriter
    {
        private int next;

        public void Start() => next = 0;

        private void Set(object? value) => parameters[next++].Value = SqlDialect.Sqlite.ToParameter(value);

        public void WriteNull() => Set(null);
        public void WriteInt64(long value) => Set(value);
        public void WriteInt32(int value) => Set(value);
        public void WriteDouble(double value) => Set(value);
        public void WriteBoolean(bool value) => Set(value);
        public void WriteDate(DateOnly value) => Set(value);
        public void WriteTimestamp(DateTimeOffset value) => Set(value);
        public void WriteText(string value) => Set(value);
        public void WriteIdList(IReadOnlyList<int> ids) => Set(SqlDialect.Sqlite.IdListValue(ids));
    }
}
