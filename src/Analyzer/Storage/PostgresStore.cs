using System.Data.Common;
using Analyzer.Imports;
using Npgsql;

namespace Analyzer.Storage;

/// <summary>The production back end: binary COPY for imports (<see cref="BinaryCopyWriter"/>), an advisory lock per import for PATCHes.</summary>
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

        await using (var copy = await BinaryCopyWriter.StartAsync(connection,
            "COPY citizens (import_id, citizen_id, town, street, building, apartment, name, birth_date, gender) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var citizen in citizens)
            {
                copy.StartRow(9);
                copy.WriteInt64(importId);
                copy.WriteInt32(citizen.CitizenId);
                copy.WriteText(citizen.Town);
                copy.WriteText(citizen.Street);
                copy.WriteText(citizen.Building);
                copy.WriteInt32(citizen.Apartment);
                copy.WriteText(citizen.Name);
                copy.WriteDate(citizen.BirthDate);
                copy.WriteText(citizen.Gender.ToName());
                await copy.FlushIfFullAsync(cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await BinaryCopyWriter.StartAsync(connection,
            "COPY relations (import_id, citizen_id, relative_id) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var citizen in citizens)
            {
                foreach (var relativeId in citizen.Relatives)
                {
                    copy.StartRow(3);
                    copy.WriteInt64(importId);
                    copy.WriteInt32(citizen.CitizenId);
                    copy.WriteInt32(relativeId);
                }
                await copy.FlushIfFullAsync(cancellationToken);
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
