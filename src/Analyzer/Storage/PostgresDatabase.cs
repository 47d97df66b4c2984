using System.Data.Common;
using Npgsql;

namespace Analyzer.Storage;

/// <summary>
/// The production back end: one <see cref="NpgsqlDataSource"/> (built here with
/// <see cref="NpgsqlDataSourceBuilder"/>, the one place to add plugins), advisory locks for writers, and bulk
/// loads through binary COPY (<see cref="BinaryCopyWriter"/>).
/// </summary>
public sealed class PostgresDatabase : Database
{
    private readonly NpgsqlDataSource dataSource;

    public PostgresDatabase(string connectionString) => dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();

    public override SqlDialect Dialect => SqlDialect.Postgres;

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<DbTransaction> BeginTransactionAsync(DbConnection connection, bool write, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    protected override async Task LockAsync(DbSession session, ResourceLock resource, CancellationToken cancellationToken)
    {
        var function = resource.Shared ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock";
        await using var command = session.Command(resource.Name is null
            ? $"SELECT {function}(@key)"
            : $"SELECT {function}({ResourceLock.DatasetSpace}, hashtext(@name))");
        if (resource.Name is null)
        {
            command.AddParameter("@key", resource.Key!.Value);
        }
        else
        {
            command.AddParameter("@name", resource.Name);
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<long> BulkInsertAsync<T>(
        DbSession session, string table, IReadOnlyList<string> columns, IEnumerable<T> rows, Action<T, IRowWriter> writeRow,
        CancellationToken cancellationToken)
    {
        long count = 0;
        await using var copy = await BinaryCopyWriter.StartAsync((NpgsqlConnection)session.Connection,
            $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            copy.StartRow(columns.Count);
            writeRow(row, copy);
            await copy.FlushIfFullAsync(cancellationToken);
            count++;
        }
        await copy.CompleteAsync(cancellationToken);
        return count;
    }

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
