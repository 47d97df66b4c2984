using System.Data.Common;
using Analyzer.Imports;
using Microsoft.Data.Sqlite;

namespace Analyzer.Storage;

/// <summary>
/// The embedded default: one database file in WAL mode. SQLite has one writer at a time, so a
/// PATCH's <c>BEGIN IMMEDIATE</c> serialises it against every other write.
/// </summary>
public sealed class SqliteStore : SqlCitizenStore
{
    private readonly string connectionString;

    public SqliteStore(DatabaseUrl url)
    {
        connectionString = url.ConnectionString;
        Directory.CreateDirectory(Path.GetDirectoryName(url.FilePath!)!);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        command.ExecuteNonQuery();
    }

    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    /// <summary>Closes the pooled connections, so that the last one checkpoints the WAL into the database file.</summary>
    public override ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        return base.DisposeAsync();
    }

    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, "PRAGMA synchronous = NORMAL");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public override async Task<long> CreateImportAsync(IReadOnlyList<Citizen> citizens, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        long importId;
        await using (var command = connection.CreateCommand(transaction, "INSERT INTO imports DEFAULT VALUES RETURNING import_id"))
        {
            importId = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var insert = connection.CreateCommand(transaction,
            "INSERT INTO citizens (import_id, citizen_id, town, street, building, apartment, name, birth_date, gender)"
            + " VALUES (@import_id, @citizen_id, @town, @street, @building, @apartment, @name, @birth_date, @gender)"))
        {
            insert.AddParameter("@import_id", importId);
            var citizenId = insert.AddParameter("@citizen_id", 0);
            var town = insert.AddParameter("@town", "");
            var street = insert.AddParameter("@street", "");
            var building = insert.AddParameter("@building", "");
            var apartment = insert.AddParameter("@apartment", 0);
            var name = insert.AddParameter("@name", "");
            var birthDate = insert.AddParameter("@birth_date", DateOnly.MinValue);
            var gender = insert.AddParameter("@gender", "");
            foreach (var citizen in citizens)
            {
                citizenId.Value = citizen.CitizenId;
                town.Value = citizen.Town;
                street.Value = citizen.Street;
                building.Value = citizen.Building;
                apartment.Value = citizen.Apartment;
                name.Value = citizen.Name;
                birthDate.Value = citizen.BirthDate;
                gender.Value = citizen.Gender.ToName();
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var insert = connection.CreateCommand(transaction,
            "INSERT INTO relations (import_id, citizen_id, relative_id) VALUES (@import_id, @citizen_id, @relative_id)"))
        {
            insert.AddParameter("@import_id", importId);
            var citizenId = insert.AddParameter("@citizen_id", 0);
            var relativeId = insert.AddParameter("@relative_id", 0);
            foreach (var citizen in citizens)
            {
                citizenId.Value = citizen.CitizenId;
                foreach (var relative in citizen.Relatives)
                {
                    relativeId.Value = relative;
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return importId;
    }

    /// <summary>BEGIN IMMEDIATE: the database's write lock is taken now, not at the first write.</summary>
    protected override Task<DbTransaction> BeginImportWriteAsync(DbConnection connection, long importId, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override string ColumnInIdList(string column) => $"{column} IN (SELECT value FROM json_each(@ids))";

    protected override void AddIdListParameter(DbCommand command, IReadOnlyList<int> ids) =>
        command.AddParameter("@ids", "[" + string.Join(',', ids) + "]");
}
