using System.Data.Common;
using System.Runtime.CompilerServices;
using Analyzer.Storage;

namespace Analyzer.Imports;

public enum PatchStatus { Updated, CitizenNotFound, UnknownCitizens }

/// <summary>What a PATCH did; when it named citizens that are not in the import, which ones, per list.</summary>
public sealed record PatchOutcome(
    PatchStatus Status, Citizen? Citizen = null, IReadOnlyList<int>? UnknownRelatives = null, IReadOnlyList<int>? UnknownFriends = null);

/// <summary>
/// The imports' SQL (tables imports and citizens), the same on both back ends but for the bulk load and the
/// id lists that <see cref="Database"/> and its dialect supply. Every query is scoped by import_id and reads
/// one range of the citizens' primary key: a citizen's relatives and friends are id lists on its own row, so
/// no query joins citizens to themselves and no plan can depend on statistics.
/// </summary>
public sealed class CitizenStore(Database database)
{
    private static readonly string[] CitizenTableColumns =
        ["import_id", "citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender", "relatives", "friends", "channel"];

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
            row.WriteIdList(citizen.Relatives);
            if (citizen.Friends is { } friends)
            {
                row.WriteIdList(friends);
            }
            else
            {
                row.WriteNull();
            }
            if (citizen.Channel is { } channel)
            {
                row.WriteText(channel);
            }
            else
            {
                row.WriteNull();
            }
        }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return importId;
    }

    internal const string SelectCitizens =
        "SELECT citizen_id, town, street, building, apartment, name, birth_date, gender, relatives, friends, channel"
        + " FROM citizens WHERE import_id = @import_id";

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

    /// <summary>Streams the citizens of an import, ordered by citizen_id.</summary>
    public async IAsyncEnumerable<Citizen> ReadCitizensAsync(long importId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(SelectCitizens + " ORDER BY citizen_id");
        command.AddParameter("@import_id", importId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadCitizen(reader);
        }
    }

    private Citizen ReadCitizen(DbDataReader reader) => new(
        reader.GetInt32(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt32(4),
        reader.GetString(5),
        reader.GetFieldValue<DateOnly>(6),
        GenderNames.Parse(reader.GetString(7)),
        database.Dialect.ReadIdList(reader, 8)!,
        reader.IsDBNull(10) ? null : reader.GetString(10),
        database.Dialect.ReadIdList(reader, 9));

    /// <summary>
    /// Applies a patch atomically; PATCHes of one import are serialised by its lock. Two commands after the
    /// lock: one reads the citizen and which of the ids named exist, one writes every change (the citizen's
    /// row, the relatives and friends it gains or loses, the import's version).
    /// </summary>
    public async Task<PatchOutcome> PatchCitizenAsync(long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken)
    {
        var dialect = database.Dialect;
        await using var session = await database.BeginWriteAsync(ResourceLock.Import(importId), cancellationToken);

        var named = (patch.Relatives ?? []).Concat(patch.Friends ?? []).Distinct().ToArray();
        Citizen? current = null;
        var known = new HashSet<int>();
        await using (var read = session.Command(SelectCitizens + " AND citizen_id = @citizen_id;"
            + (named.Length > 0 ? $" SELECT citizen_id FROM citizens WHERE import_id = @import_id AND {dialect.InIdList("citizen_id", "@named")};" : "")))
        {
            read.AddParameter("@import_id", importId);
            read.AddParameter("@citizen_id", citizenId);
            if (named.Length > 0)
            {
                dialect.AddIdList(read, "@named", named);
            }
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                current = ReadCitizen(reader);
            }
            if (named.Length > 0 && await reader.NextResultAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    known.Add(reader.GetInt32(0));
                }
            }
        }
        if (current is null)
        {
            return new PatchOutcome(PatchStatus.CitizenNotFound);
        }
        int[] Unknown(IReadOnlyList<int>? ids) => ids is null ? [] : [.. ids.Where(id => !known.Contains(id)).Order()];
        var (unknownRelatives, unknownFriends) = (Unknown(patch.Relatives), Unknown(patch.Friends));
        if (unknownRelatives.Length > 0 || unknownFriends.Length > 0)
        {
            return new PatchOutcome(PatchStatus.UnknownCitizens, UnknownRelatives: unknownRelatives, UnknownFriends: unknownFriends);
        }

        await using var write = session.Command("");
        var sql = new System.Text.StringBuilder();
        write.AddParameter("@import_id", importId);
        write.AddParameter("@citizen_id", citizenId);
        if (patch.UsesLinksShape && !current.HasLinksShape)
        {
            sql.Append($"UPDATE citizens SET friends = {dialect.EmptyIdList} WHERE import_id = @import_id AND friends IS NULL; ");
        }
        MirrorLinks(write, sql, "relatives", citizenId, current.Relatives, patch.Relatives);
        MirrorLinks(write, sql, "friends", citizenId, current.Friends ?? [], patch.Friends);
        var assignments = new List<string>();
        void Set(string column, object value)
        {
            assignments.Add($"{column} = @{column}");
            write.AddParameter("@" + column, value);
        }
        if (patch.Town is { } town) Set("town", town);
        if (patch.Street is { } street) Set("street", street);
        if (patch.Building is { } building) Set("building", building);
        if (patch.Apartment is { } apartment) Set("apartment", apartment);
        if (patch.Name is { } name) Set("name", name);
        if (patch.BirthDate is { } birthDate) Set("birth_date", dialect.ToParameter(birthDate));
        if (patch.Gender is { } gender) Set("gender", gender.ToName());
        if (patch.ChangesChannel) Set("channel", dialect.ToParameter(patch.Channel));
        if (patch.Relatives is { } relatives) Set("relatives", dialect.IdListValue(relatives));
        if (patch.Friends is { } friends) Set("friends", dialect.IdListValue(friends));
        if (assignments.Count > 0)
        {
            sql.Append($"UPDATE citizens SET {string.Join(", ", assignments)} WHERE import_id = @import_id AND citizen_id = @citizen_id; ");
        }
        sql.Append("UPDATE imports SET version = version + 1 WHERE import_id = @import_id");
        write.CommandText = sql.ToString();
        await write.ExecuteNonQueryAsync(cancellationToken);
        await session.CommitAsync(cancellationToken);

        var updated = patch.ApplyTo(current);
        return new PatchOutcome(PatchStatus.Updated, updated with
        {
            Relatives = [.. updated.Relatives.Order()],
            Friends = updated.Friends is { } list ? [.. list.Order()] : null,
        });
    }

    /// <summary>
    /// Appends the statements that keep a list mutual when the citizen's list changes from
    /// <paramref name="before"/> to <paramref name="after"/>: the ids it loses drop it from theirs, the ids it
    /// gains add it to theirs. Its own row is written with its new list; a self-link needs nothing more.
    /// </summary>
    private void MirrorLinks(DbCommand write, System.Text.StringBuilder sql, string column, int citizenId, IReadOnlyList<int> before, IReadOnlyList<int>? after)
    {
        if (after is null)
        {
            return;
        }
        var dialect = database.Dialect;
        var lost = before.Except(after).Where(id => id != citizenId).ToArray();
        var gained = after.Except(before).Where(id => id != citizenId).ToArray();
        if (lost.Length > 0)
        {
            dialect.AddIdList(write, $"@{column}_lost", lost);
            sql.Append($"UPDATE citizens SET {column} = {dialect.IdListWithout(column, "@citizen_id")}"
                + $" WHERE import_id = @import_id AND {dialect.InIdList("citizen_id", $"@{column}_lost")}; ");
        }
        if (gained.Length > 0)
        {
            dialect.AddIdList(write, $"@{column}_gained", gained);
            sql.Append($"UPDATE citizens SET {column} = {dialect.IdListWith(column, "@citizen_id")}"
                + $" WHERE import_id = @import_id AND {dialect.InIdList("citizen_id", $"@{column}_gained")}; ");
        }
    }
}
