using Analyzer.Imports;
using Analyzer.Storage;

namespace Analyzer.Analytics;

public readonly record struct TownBirthDate(string Town, DateOnly BirthDate);

/// <summary>A citizen with what the courses and demand analyses need; ids of relatives and friends as stored (either may list the citizen itself).</summary>
public sealed record Person(int CitizenId, string Town, DateOnly BirthDate, string? Channel, IReadOnlyList<int> Relatives, IReadOnlyList<int> Friends);

/// <summary>
/// What each analysis is computed from (the computing is <see cref="Birthdays"/>, <see cref="AgePercentiles"/>, ...): this
/// replica's snapshot of the import at the version asked for (<see cref="ImportSnapshots"/>), or else one query each
/// that reads only what the analysis needs (an import too big to hold).
/// </summary>
public sealed class AnalyticsQueries(Database database, ImportSnapshots snapshots, ImportVersions heads)
{
    // Each reads one range of the citizens' primary key: no join, so no plan that statistics could make quadratic.
    // Only citizens with relatives: relations are mutual, so every relative of someone has relatives of its own.
    internal static string KinQuery(SqlDialect dialect) =>
        $"SELECT citizen_id, birth_date, relatives FROM citizens WHERE import_id = @import_id AND {dialect.IdListIsNotEmpty("relatives")} ORDER BY citizen_id";
    internal const string PeopleQuery =
        "SELECT citizen_id, town, birth_date, channel, relatives, friends FROM citizens WHERE import_id = @import_id ORDER BY citizen_id";
    // Courses: only citizens with relatives or friends buy, and (lists being mutual) only they are bought for; the
    // channels of everyone else still name the answer's keys.
    internal static string BuyersQuery(SqlDialect dialect) =>
        "SELECT citizen_id, town, birth_date, channel, relatives, friends FROM citizens WHERE import_id = @import_id"
        + $" AND ({dialect.IdListIsNotEmpty("relatives")} OR {dialect.IdListIsNotEmpty("friends")}) ORDER BY citizen_id";
    internal const string ChannelsQuery = "SELECT DISTINCT channel FROM citizens WHERE import_id = @import_id";
    internal const string TownsQuery = "SELECT town, birth_date FROM citizens WHERE import_id = @import_id";

    /// <summary>The import's version (each PATCH adds one), or null for an unknown import: the key of cached answers.</summary>
    public async Task<long?> ImportVersionAsync(long importId, CancellationToken cancellationToken) =>
        (await heads.ReadAsync(importId, cancellationToken))?.Version;

    /// <summary>Each citizen's id, birth date and relatives, ordered by citizen_id: those with relatives (the others buy nothing and are nobody's relative).</summary>
    public async Task<IReadOnlyList<Kin>> ReadKinAsync(long importId, long version, CancellationToken cancellationToken)
    {
        if (await snapshots.GetAsync(importId, version, cancellationToken) is { } snapshot)
        {
            return [.. snapshot.Citizens.Where(c => c.Relatives.Count > 0).Select(c => new Kin(c.CitizenId, c.BirthDate, c.Relatives))];
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(KinQuery(database.Dialect));
        command.AddParameter("@import_id", importId);
        var rows = new List<Kin>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Kin(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), database.Dialect.ReadIdList(reader, 2)!));
        }
        return rows;
    }

    /// <summary>Every citizen of an import with town, birth date, channel, relatives and friends, ordered by citizen_id.</summary>
    public async Task<IReadOnlyList<Person>> ReadPeopleAsync(long importId, long version, CancellationToken cancellationToken)
    {
        if (await snapshots.GetAsync(importId, version, cancellationToken) is { } snapshot)
        {
            return [.. snapshot.Citizens.Select(ToPerson)];
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(PeopleQuery);
        command.AddParameter("@import_id", importId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadPersonsAsync(reader, cancellationToken);
    }

    /// <summary>
    /// What the courses are computed from, in one round trip: the citizens who buy (those with relatives or friends,
    /// ordered by citizen_id) and every channel of the import (null for citizens without one).
    /// </summary>
    public async Task<(IReadOnlyList<Person> Buyers, IReadOnlyList<string?> Channels)> ReadBuyersAsync(long importId, long version, CancellationToken cancellationToken)
    {
        if (await snapshots.GetAsync(importId, version, cancellationToken) is { } snapshot)
        {
            return ([.. snapshot.Citizens.Where(c => c.Relatives.Count > 0 || c.Friends is { Count: > 0 }).Select(ToPerson)],
                [.. snapshot.Citizens.Select(c => c.Channel).Distinct()]);
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(BuyersQuery(database.Dialect) + "; " + ChannelsQuery);
        command.AddParameter("@import_id", importId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var buyers = await ReadPersonsAsync(reader, cancellationToken);
        var channels = new List<string?>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            channels.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
        }
        return (buyers, channels);
    }

    private static Person ToPerson(Citizen c) => new(c.CitizenId, c.Town, c.BirthDate, c.Channel, c.Relatives, c.Friends ?? []);

    private async Task<List<Person>> ReadPersonsAsync(System.Data.Common.DbDataReader reader, CancellationToken cancellationToken)
    {
        var people = new List<Person>();
        while (await reader.ReadAsync(cancellationToken))
        {
            people.Add(new Person(
                reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                database.Dialect.ReadIdList(reader, 4)!, database.Dialect.ReadIdList(reader, 5) ?? []));
        }
        return people;
    }

    /// <summary>Each citizen's (town, birth date) of an import.</summary>
    public async Task<IReadOnlyList<TownBirthDate>> ReadTownBirthDatesAsync(long importId, long version, CancellationToken cancellationToken)
    {
        if (await snapshots.GetAsync(importId, version, cancellationToken) is { } snapshot)
        {
            return [.. snapshot.Citizens.Select(c => new TownBirthDate(c.Town, c.BirthDate))];
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(TownsQuery);
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
