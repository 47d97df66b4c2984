using System.Data.Common;
using System.Runtime.CompilerServices;
using Analyzer.Storage;

namespace Analyzer.Imports;

public enum PatchStatus { Updated, CitizenNotFound, UnknownRelatives }

public sealed record PatchOutcome(PatchStatus Status, Citizen? Citizen = null, IReadOnlyList<int>? UnknownRelatives = null);

/// <summary>
/// The imports' SQL (the tables imports, citizens and relations), the same on both back ends but for the
/// bulk load and the id list that <see cref="Database"/> supplies. Every query is scoped by import_id.
/// </summary>
public sealed class CitizenStore(Database database)
{
    private static readonly string[] CitizenTableColumns =
        ["import_id", "citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender"];

    private static readonly string[] RelationColumns = ["import_id", "citizen_id", "relative_id"];

    /// <summary>Stores a validated import in one transaction and returns its new id.</summary>
    public async Task<long> CreateImportAsync(IReadOnlyList<Citizen> citizens, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        long importId;
        await using (var command = session.Command("INSERT INTO imports DEFAULT VALUES RETURNING import_id"))
        {
            importId = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        await database.BulkInsertAsync(session, "citizens", CitizenTableColumns, citizens, (citizen, row) =>
        {
            row.WriteInt64(importId);
            row.WriteInt32(citizen.CitizenId);
            row.WriteText(citizen.Town);
            row.WriteText(citizen.Street);
            row.WriteText(citizen.Building);
            row.WriteInt32(citizen.Apartment);
            row.WriteText(citizen.Name);
            row.WriteDate(citizen.BirthDate);
            row.WriteText(citizen.Gender.ToName());
        }, cancellationToken);
        var relations = citizens.SelectMany(citizen => citizen.Relatives.Select(relative => (citizen.CitizenId, relative)));
        await database.BulkInsertAsync(session, "relations", RelationColumns, relations, (relation, row) =>
        {
            row.WriteInt64(importId);
            row.WriteInt32(relation.CitizenId);
            row.WriteInt32(relation.relative);
        }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return importId;
    }

    private const string CitizenColumns =
        "c.citizen_id, c.town, c.street, c.building, c.apartment, c.name, c.birth_date, c.gender, r.relative_id";

    private const string CitizensWithRelatives =
        "SELECT " + CitizenColumns + " FROM citizens c"
        + " LEFT JOIN relations r ON r.import_id = c.import_id AND r.citizen_id = c.citizen_id"
        + " WHERE c.import_id = @import_id";

    /// <summary>The import's version (each PATCH adds one), or null for an unknown import.</summary>
    public async Task<long?> ImportVersionAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT version FROM imports WHERE import_id = @import_id");
        command.AddParameter("@import_id", importId);
        return await command.ExecuteScalarAsync(cancellationToken) is { } version
            ? Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Streams the citizens of an import (ordered by citizen_id) with their relatives.</summary>
    public async IAsyncEnumerable<Citizen> ReadCitizensAsync(long importId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(CitizensWithRelatives + " ORDER BY c.citizen_id, r.relative_id");
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

    /// <summary>Applies a patch atomically; PATCHes of one import are serialised by its lock.</summary>
    public async Task<PatchOutcome> PatchCitizenAsync(long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(ResourceLock.Import(importId), cancellationToken);

        var current = await ReadCitizenAsync(session, importId, citizenId, cancellationToken);
        if (current is null)
        {
            return new PatchOutcome(PatchStatus.CitizenNotFound);
        }
        if (patch.Relatives is { } wanted)
        {
            var unknown = await FindUnknownCitizensAsync(session, importId, wanted, cancellationToken);
            if (unknown.Count > 0)
            {
                return new PatchOutcome(PatchStatus.UnknownRelatives, UnknownRelatives: unknown);
            }
            var before = current.Relatives.ToHashSet();
            var after = wanted.ToHashSet();
            await ChangeRelationsAsync(session, "DELETE FROM relations WHERE import_id = @import_id AND citizen_id = @a AND relative_id = @b",
                importId, citizenId, before.Where(id => !after.Contains(id)), cancellationToken);
            await ChangeRelationsAsync(session, "INSERT INTO relations (import_id, citizen_id, relative_id) VALUES (@import_id, @a, @b)",
                importId, citizenId, after.Where(id => !before.Contains(id)), cancellationToken);
        }
        if (patch.ChangesColumns)
        {
            await UpdateColumnsAsync(session, importId, citizenId, patch, cancellationToken);
        }
        await using (var version = session.Command("UPDATE imports SET version = version + 1 WHERE import_id = @import_id"))
        {
            version.AddParameter("@import_id", importId);
            await version.ExecuteNonQueryAsync(cancellationToken);
        }
        await session.CommitAsync(cancellationToken);

        var updated = patch.ApplyTo(current);
        return new PatchOutcome(PatchStatus.Updated, updated with { Relatives = [.. updated.Relatives.Order()] });
    }

    private static async Task<Citizen?> ReadCitizenAsync(DbSession session, long importId, int citizenId, CancellationToken cancellationToken)
    {
        await using var command = session.Command(CitizensWithRelatives + " AND c.citizen_id = @citizen_id ORDER BY r.relative_id");
        command.AddParameter("@import_id", importId);
        command.AddParameter("@citizen_id", citizenId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var citizen in ReadGroupedAsync(reader, cancellationToken))
        {
            return citizen;
        }
        return null;
    }

    private async Task<IReadOnlyList<int>> FindUnknownCitizensAsync(DbSession session, long importId, IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        await using var command = session.Command(
            $"SELECT citizen_id FROM citizens c WHERE c.import_id = @import_id AND {database.Dialect.InIdList("c.citizen_id", "@ids")}");
        command.AddParameter("@import_id", importId);
        database.Dialect.AddIdList(command, "@ids", ids);
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
    private static async Task ChangeRelationsAsync(DbSession session, string sql, long importId, int citizenId, IEnumerable<int> relativeIds, CancellationToken cancellationToken)
    {
        await using var command = session.Command(sql);
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

    private static async Task UpdateColumnsAsync(DbSession session, long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken)
    {
        await using var command = session.Command("");
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
}
