using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Analyzer.Events;
using Analyzer.Observability;
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
public sealed class CitizenStore(Database database, ImportSnapshots snapshots, ImportVersions heads, AnalyzerMetrics metrics)
{
    private static readonly string[] CitizenTableColumns =
        ["import_id", "citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender", "relatives", "friends", "channel"];

    /// <summary>
    /// Stores an import as <paramref name="body"/> reads it, citizen by citizen (parsing overlaps the bulk load),
    /// and commits only if the body proves valid once read whole; returns the new id, or null (nothing stored)
    /// when it is not, with the errors in the reader's <see cref="ValidationErrors"/>.
    /// </summary>
    public async Task<long?> CreateImportAsync(CitizenJson.ImportReader body, CancellationToken cancellationToken, RowProgress? progress = null)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        long importId;
        await using (var command = session.Command("INSERT INTO imports DEFAULT VALUES RETURNING import_id"))
        {
            importId = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        var kept = snapshots.Collect(body.BodyBytes);
        var citizens = await database.BulkInsertAsync(session, "citizens", CitizenTableColumns, body.TrackedBy(progress, cancellationToken), (citizen, row) =>
        {
            kept.Add(citizen);
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
            row.WriteIdList(citizen.Friends ?? []);
            if (citizen.Channel is { } channel)
            {
                row.WriteText(channel);
            }
            else
            {
                row.WriteNull();
            }
        }, cancellationToken);
        if (!body.Complete())
        {
            return null; // disposing the session rolls back
        }
        await using (var finish = session.Command(""))
        {
            var sql = new System.Text.StringBuilder();
            if (body.UsesFriendsOrChannels)
            {
                sql.Append("UPDATE imports SET has_friends_and_channels = @yes WHERE import_id = @import_id");
                finish.AddParameter("@yes", database.Dialect.ToParameter(true));
                finish.AddParameter("@import_id", importId);
            }
            Outbox.AppendTo(session, finish, sql, EventTypes.ForImportCreated(importId, citizens));
            finish.CommandText = sql.ToString();
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }
        await session.CommitAsync(cancellationToken);
        snapshots.KeepNew(importId, kept, body.UsesFriendsOrChannels);
        metrics.ImportStored(citizens);
        return importId;
    }

    internal const string SelectCitizens =
        "SELECT citizen_id, town, street, building, apartment, name, birth_date, gender, relatives, friends, channel"
        + " FROM citizens WHERE import_id = @import_id";

    private const string SelectShape = "SELECT has_friends_and_channels, version FROM imports WHERE import_id = @import_id";

    /// <summary>
    /// The citizens of an import, ordered by citizen_id, in the import's shape (see <see cref="Citizen"/>); null when
    /// there is no such import. From this replica's snapshot of the import's current version (read whole first when
    /// the import may be held), else streamed from the table.
    /// </summary>
    public async Task<IAsyncEnumerable<Citizen>?> CitizensAsync(long importId, CancellationToken cancellationToken)
    {
        if (await heads.ReadAsync(importId, cancellationToken) is not { } shape)
        {
            return null;
        }
        return await snapshots.GetAsync(importId, shape.Version, cancellationToken) is { } snapshot
            ? snapshot.Citizens.ToAsyncEnumerable()
            : ReadCitizensAsync(importId, shape.HasFriendsAndChannels, cancellationToken);
    }

    /// <summary>
    /// The import's rows in citizen_id order, read by a task of their own in batches while the caller writes the ones
    /// before: on two cores reading rows and writing JSON overlap (GET citizens of 1,000,000 from PostgreSQL: 2.06–2.4 s
    /// against 2.35–2.75 s read and written in turn, three alternating runs). The task owns its connection, and the
    /// enumeration ends only once the task has: no connection outlives it.
    /// </summary>
    private async IAsyncEnumerable<Citizen> ReadCitizensAsync(long importId, bool hasFriendsAndChannels, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = Channel.CreateBounded<Citizen[]>(new BoundedChannelOptions(ReadAheadBatches) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(() => ReadBatchesAsync(importId, hasFriendsAndChannels, batches.Writer, stop.Token), CancellationToken.None);
        var finished = false;
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(CancellationToken.None))
            {
                foreach (var citizen in batch)
                {
                    yield return citizen;
                }
            }
            await reading; // the reader's failure, if it stopped on one
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // The caller stopped early (the client went away, or writing failed): stop the reader and wait for it,
                // whatever it ends with; what the caller stopped on is what counts.
                await stop.CancelAsync();
                await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private const int FirstReadBatchSize = 16;
    private const int ReadBatchSize = 512;
    private const int ReadAheadBatches = 8;

    private async Task ReadBatchesAsync(long importId, bool hasFriendsAndChannels, ChannelWriter<Citizen[]> batches, CancellationToken cancellationToken)
    {
        try
        {
            await using var session = await database.BeginReadAsync(null, cancellationToken);
            await using var command = session.Command(database.Dialect.InKeyOrder + SelectCitizens + " ORDER BY citizen_id");
            command.AddParameter("@import_id", importId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            // The first batches are small, so that the answer begins as soon as the first rows arrive.
            var batchSize = FirstReadBatchSize;
            var batch = new List<Citizen>(ReadBatchSize);
            while (await reader.ReadAsync(cancellationToken))
            {
                batch.Add(ReadCitizen(database.Dialect, reader, 0, hasFriendsAndChannels));
                if (batch.Count == batchSize)
                {
                    await batches.WriteAsync([.. batch], cancellationToken);
                    batch.Clear();
                    batchSize = Math.Min(batchSize * 2, ReadBatchSize);
                }
            }
            if (batch.Count > 0)
            {
                await batches.WriteAsync([.. batch], cancellationToken);
            }
        }
        finally
        {
            batches.Complete();
        }
    }

    /// <summary>A row of <see cref="SelectCitizens"/>'s columns, starting at <paramref name="first"/>.</summary>
    internal static Citizen ReadCitizen(SqlDialect dialect, DbDataReader reader, int first, bool hasFriendsAndChannels) => new(
        reader.GetInt32(first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        reader.GetString(first + 3),
        reader.GetInt32(first + 4),
        reader.GetString(first + 5),
        reader.GetFieldValue<DateOnly>(first + 6),
        GenderNames.Parse(reader.GetString(first + 7)),
        dialect.ReadIdList(reader, first + 8)!,
        hasFriendsAndChannels && !reader.IsDBNull(first + 10) ? reader.GetString(first + 10) : null,
        hasFriendsAndChannels ? dialect.ReadIdList(reader, first + 9) : null);

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
        var hasFriendsAndChannels = false;
        long versionBefore = 0;
        var known = new HashSet<int>();
        await using (var read = session.Command(SelectShape + "; " + SelectCitizens + " AND citizen_id = @citizen_id;"
            + (named.Length > 0 ? $" SELECT citizen_id FROM citizens WHERE import_id = @import_id AND {dialect.InIdList("citizen_id", "@named")};" : "")))
        {
            read.AddParameter("@import_id", importId);
            read.AddParameter("@citizen_id", citizenId);
            if (named.Length > 0)
            {
                dialect.AddIdList(read, "@named", named);
            }
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new PatchOutcome(PatchStatus.CitizenNotFound); // no such import
            }
            hasFriendsAndChannels = reader.GetBoolean(0);
            versionBefore = reader.GetInt64(1);
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                current = ReadCitizen(dialect, reader, 0, hasFriendsAndChannels);
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
        var shapeChanges = patch.NamesFriendsOrChannel && !current.HasFriendsAndChannels;
        var relativesChange = MirrorLinks(write, sql, "relatives", citizenId, current.Relatives, patch.Relatives);
        var friendsChange = MirrorLinks(write, sql, "friends", citizenId, current.Friends ?? [], patch.Friends);
        var changes = new List<(string Column, object Value)>();
        if (patch.Town is { } town) changes.Add(("town", town));
        if (patch.Street is { } street) changes.Add(("street", street));
        if (patch.Building is { } building) changes.Add(("building", building));
        if (patch.Apartment is { } apartment) changes.Add(("apartment", apartment));
        if (patch.Name is { } name) changes.Add(("name", name));
        if (patch.BirthDate is { } birthDate) changes.Add(("birth_date", dialect.ToParameter(birthDate)));
        if (patch.Gender is { } gender) changes.Add(("gender", gender.ToName()));
        if (patch.ChangesChannel) changes.Add(("channel", dialect.ToParameter(patch.Channel)));
        if (patch.Relatives is { } relatives) changes.Add(("relatives", dialect.IdListValue(relatives)));
        if (patch.Friends is { } friends) changes.Add(("friends", dialect.IdListValue(friends)));
        if (changes.Count > 0)
        {
            foreach (var (column, value) in changes)
            {
                write.AddParameter("@" + column, value);
            }
            var assignments = string.Join(", ", changes.Select(change => $"{change.Column} = @{change.Column}"));
            sql.Append($"UPDATE citizens SET {assignments} WHERE import_id = @import_id AND citizen_id = @citizen_id; ");
        }
        sql.Append("UPDATE imports SET version = version + 1" + (shapeChanges ? ", has_friends_and_channels = @yes" : "") + " WHERE import_id = @import_id");
        if (shapeChanges)
        {
            write.AddParameter("@yes", dialect.ToParameter(true));
        }
        var linked = LinksChanged(citizenId, current.Relatives, patch.Relatives).Union(LinksChanged(citizenId, current.Friends ?? [], patch.Friends)).Order().ToArray();
        Outbox.AppendTo(session, write, sql, EventTypes.ForCitizenUpdated(importId, citizenId, linked));
        write.CommandText = sql.ToString();
        await write.ExecuteNonQueryAsync(cancellationToken);
        await session.CommitAsync(cancellationToken);

        var updated = patch.ApplyTo(current);
        snapshots.Patched(importId, versionBefore, new ImportSnapshots.Change(
            updated, relativesChange.Lost, relativesChange.Gained, friendsChange.Lost, friendsChange.Gained, shapeChanges));
        return new PatchOutcome(PatchStatus.Updated, updated with
        {
            Relatives = [.. updated.Relatives.Order()],
            Friends = updated.Friends is { } list ? [.. list.Order()] : null,
        });
    }

    /// <summary>The other citizens whose list gains or loses <paramref name="citizenId"/> when its own goes from <paramref name="before"/> to <paramref name="after"/>.</summary>
    internal static IEnumerable<int> LinksChanged(int citizenId, IReadOnlyList<int> before, IReadOnlyList<int>? after) =>
        after is null ? [] : before.Except(after).Union(after.Except(before)).Where(id => id != citizenId);

    /// <summary>
    /// Appends the statements that keep a list mutual when the citizen's list changes from
    /// <paramref name="before"/> to <paramref name="after"/>: the ids it loses drop it from theirs, the ids it
    /// gains add it to theirs. Its own row is written with its new list; a self-link needs nothing more.
    /// Returns those ids.
    /// </summary>
    private (int[] Lost, int[] Gained) MirrorLinks(DbCommand write, System.Text.StringBuilder sql, string column, int citizenId, IReadOnlyList<int> before, IReadOnlyList<int>? after)
    {
        if (after is null)
        {
            return ([], []);
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
        return (lost, gained);
    }
}
