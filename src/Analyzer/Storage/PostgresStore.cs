using System.Data.Common;
using Analyzer.Imports;
using Npgsql;
using NpgsqlTypes;

namespace Analyzer.Storage;

/// <summary>The production back end: binary COPY for imports, an advisory lock per import for PATCHes.</summary>
public sealed class PostgresStore(NpgsqlDataSource dataSource) : SqlCitizenStore
{
    public PostgresStore(string connectionString) : this(NpgsqlDataSource.Create(connectionString))
    {
    }

    public override DatabaseKind Kind => DatabaseKind.Postgres;

    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    public override async Task<long> CreateImportAsync(IReadOnlyList<Citizen> citizens, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        long importId;
        await using (var command = new NpgsqlCommand("INSERT INTO imports DEFAULT VALUES RETURNING import_id", connection, transaction))
        {
            importId = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY citizens (import_id, citizen_id, town, street, building, apartment, name, birth_date, gender) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var citizen in citizens)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(importId, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(citizen.CitizenId, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(citizen.Town, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(citizen.Street, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(citizen.Building, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(citizen.Apartment, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(citizen.Name, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(citizen.BirthDate, NpgsqlDbType.Date, cancellationToken);
                await copy.WriteAsync(citizen.Gender.ToName(), NpgsqlDbType.Text, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY relations (import_id, citizen_id, relative_id) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var citizen in citizens)
            {
                foreach (var relativeId in citizen.Relatives)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(importId, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync(citizen.CitizenId, NpgsqlDbType.Integer, cancellationToken);
                    await copy.WriteAsync(relativeId, NpgsqlDbType.Integer, cancellationToken);
                }
            }
            await copy.CompleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return importId;
    }

    protected override async Task<DbTransaction> BeginImportWriteAsync(DbConnection connection, long importId, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand(transaction, "SELECT pg_advisory_xact_lock(@import_id)");
        command.AddParameter("@import_id", importId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    protected override string ColumnInIdList(string column) => $"{column} = ANY(@ids)";

    protected override void AddIdListParameter(DbCommand command, IReadOnlyList<int> ids) =>
        command.Parameters.Add(new NpgsqlParameter<int[]>("ids", [.. ids]));

    public override async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
