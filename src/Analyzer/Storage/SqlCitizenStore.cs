using System.Data.Common;
using System.Runtime.CompilerServices;
using Analyzer.Imports;

namespace Analyzer.Storage;

/// <summary>
/// The SQL both back ends share (the schema is the same). Subclasses supply connections,
/// the bulk insert, the per-import write lock and the "id in list" predicate.
/// </summary>
public abstract class SqlCitizenStore : ICitizenStore
{
    public abstract DatabaseKind Kind { get; }

    public abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    public abstract Task<long> CreateImportAsync(IReadOnlyList<Citizen> citizens, CancellationToken cancellationToken);

    /// <summary>Starts a transaction that holds the import's write lock until it ends.</summary>
    protected abstract Task<DbTransaction> BeginImportWriteAsync(DbConnection connection, long importId, CancellationToken cancellationToken);

    /// <summary>A predicate "<paramref name="column"/> is one of the ids in parameter @ids" and that parameter.</summary>
    protected abstract string ColumnInIdList(string column);

    protected abstract void AddIdListParameter(DbCommand command, IReadOnlyList<int> ids);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private const string CitizenColumns =
        "c.citizen_id, c.town, c.street, c.building, c.apartment, c.name, c.birth_date, c.gender, r.relative_id";

    private const string CitizensWithRelatives =
        "SELECT " + CitizenColumns + " FROM citizens c"
        + " LEFT JOIN relations r ON r.import_id = c.import_id AND r.citizen_id = c.citizen_id"
        + " WHERE c.import_id = @import_id";

    public async Task<long?> ImportVersionAsync(long importId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, "SELECT version FROM imports WHERE import_id = @import_id");
        command.AddParameter("@import_id", importId);
        return await command.ExecuteScalarAsync(cancellationToken) is { } version
            ? Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    public async IAsyncEnumerable<Citizen> ReadCitizensAsync(long importId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, CitizensWithRelatives + " ORDER BY c.citizen_id, r.relative_id");
        command.AddParameter("@import_id", importId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var citizen in ReadGroupedAsync(reader, cancellationToken))
        {
            yield return citizen;
        }
    }

    /// <summary>Folds the rows of <see cref="CitizensWithRelatives"/> (ordered by citizen) into citizens.</summary>
    private static async IAsyncEnumerable<Citizen> ReadGroupedAsync(DbDataReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Citizen? current = null;
        List<int> relatives = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            var citizenId = reader.GetInt32(0);
            if (current is null || current.CitizenId != citizenId)
            {
                if (current is not null)
                {
                    yield return current with { Relatives = [.. relatives] };
                    relatives.Clear();
                }
                current = new Citizen(
                    citizenId,
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetInt32(4),
                    reader.GetString(5),
                    reader.GetFieldValue<DateOnly>(6),
                    GenderNames.Parse(reader.GetString(7)),
                    []);
            }
            if (!reader.IsDBNull(8))
            {
                relatives.Add(reader.GetInt32(8));
            }
        }
        if (current is not null)
        {
            yield return current with { Relatives = [.. relatives] };
        }
    }

    public async Task<PatchOutcome> PatchCitizenAsync(long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginImportWriteAsync(connection, importId, cancellationToken);

        var current = await ReadCitizenAsync(connection, transaction, importId, citizenId, cancellationToken);
        if (current is null)
        {
            return new PatchOutcome(PatchStatus.CitizenNotFound);
        }
        if (patch.Relatives is { } wanted)
        {
            var unknown = await FindUnknownCitizensAsync(connection, transaction, importId, wanted, cancellationToken);
            if (unknown.Count > 0)
            {
                return new PatchOutcome(PatchStatus.UnknownRelatives, UnknownRelatives: unknown);
            }
            var before = current.Relatives.ToHashSet();
            var after = wanted.ToHashSet();
            await ChangeRelationsAsync(connection, transaction, "DELETE FROM relations WHERE import_id = @import_id AND citizen_id = @a AND relative_id = @b",
                importId, citizenId, before.Where(id => !after.Contains(id)), cancellationToken);
            await ChangeRelationsAsync(connection, transaction, "INSERT INTO relations (import_id, citizen_id, relative_id) VALUES (@import_id, @a, @b)",
                importId, citizenId, after.Where(id => !before.Contains(id)), cancellationToken);
        }
        if (patch.ChangesColumns)
        {
            await UpdateColumnsAsync(connection, transaction, importId, citizenId, patch, cancellationToken);
        }
        await using (var version = connection.CreateCommand(transaction, "UPDATE imports SET version = version + 1 WHERE import_id = @import_id"))
        {
            version.AddParameter("@import_id", importId);
            await version.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        var updated = patch.ApplyTo(current);
        return new PatchOutcome(PatchStatus.Updated, updated with { Relatives = [.. updated.Relatives.Order()] });
    }

    private static async Task<Citizen?> ReadCitizenAsync(DbConnection connection, DbTransaction transaction, long importId, int citizenId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, CitizensWithRelatives + " AND c.citizen_id = @citizen_id ORDER BY r.relative_id");
        command.AddParameter("@import_id", importId);
        command.AddParameter("@citizen_id", citizenId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var citizen in ReadGroupedAsync(reader, cancellationToken))
        {
            return citizen;
        }
        return null;
    }

    private async Task<IReadOnlyList<int>> FindUnknownCitizensAsync(DbConnection connection, DbTransaction transaction, long importId, IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        await using var command = connection.CreateCommand(transaction,
            $"SELECT citizen_id FROM citizens c WHERE c.import_id = @import_id AND {ColumnInIdList("c.citizen_id")}");
        command.AddParameter("@import_id", importId);
        AddIdListParameter(command, ids);
        var known = new HashSet<int>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                known.Add(reader.GetInt32(0));
            }
        }
        return [.. ids.Where(id => !known.Contains(id)).Order()];
    }

    /// <summary>Runs a (@a, @b) relation statement both ways for each relative; a self-relation is one row.</summary>
    private static async Task ChangeRelationsAsync(DbConnection connection, DbTransaction transaction, string sql, long importId, int citizenId, IEnumerable<int> relativeIds, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, sql);
        command.AddParameter("@import_id", importId);
        var a = command.AddParameter("@a", 0);
        var b = command.AddParameter("@b", 0);
        foreach (var relativeId in relativeIds)
        {
            (a.Value, b.Value) = (citizenId, relativeId);
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (relativeId != citizenId)
            {
                (a.Value, b.Value) = (relativeId, citizenId);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private static async Task UpdateColumnsAsync(DbConnection connection, DbTransaction transaction, long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, "");
        var assignments = new List<string>();
        void Set(string column, object? value)
        {
            if (value is not null)
            {
                assignments.Add($"{column} = @{column}");
                command.AddParameter("@" + column, value);
            }
        }
        Set("town", patch.Town);
        Set("street", patch.Street);
        Set("building", patch.Building);
        Set("apartment", patch.Apartment);
        Set("name", patch.Name);
        Set("birth_date", patch.BirthDate);
        Set("gender", patch.Gender?.ToName());
        command.CommandText = $"UPDATE citizens SET {string.Join(", ", assignments)} WHERE import_id = @import_id AND citizen_id = @citizen_id";
        command.AddParameter("@import_id", importId);
        command.AddParameter("@citizen_id", citizenId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RelativeBirthDate>> ReadRelativeBirthDatesAsync(long importId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null,
            "SELECT r.citizen_id, c.birth_date FROM relations r"
            + " JOIN citizens c ON c.import_id = r.import_id AND c.citizen_id = r.relative_id"
            + " WHERE r.import_id = @import_id");
        command.AddParameter("@import_id", importId);
        var rows = new List<RelativeBirthDate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RelativeBirthDate(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1)));
        }
        return rows;
    }

    public async Task<IReadOnlyList<TownBirthDate>> ReadTownBirthDatesAsync(long importId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, "SELECT town, birth_date FROM citizens WHERE import_id = @import_id");
        command.AddParameter("@import_id", importId);
        var rows = new List<TownBirthDate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new TownBirthDate(reader.GetString(0), reader.GetFieldValue<DateOnly>(1)));
        }
        return rows;
    }


}
