using Analyzer.Storage;

namespace Analyzer.Analytics;

/// <summary>A citizen and the birth date of one of its relatives.</summary>
public readonly record struct RelativeBirthDate(int CitizenId, DateOnly BirthDate);

public readonly record struct TownBirthDate(string Town, DateOnly BirthDate);

/// <summary>A citizen with what the courses and demand analyses need; ids of relatives and friends as stored (either may list the citizen itself).</summary>
public sealed record Person(int CitizenId, string Town, DateOnly BirthDate, string? Channel, IReadOnlyList<int> Relatives, IReadOnlyList<int> Friends);

/// <summary>The one query each analysis is computed from (the computing is <see cref="Birthdays"/> and <see cref="AgePercentiles"/>).</summary>
public sealed class AnalyticsQueries(Database database)
{
    /// <summary>The import's version (each PATCH adds one), or null for an unknown import: the key of cached answers.</summary>
    public async Task<long?> ImportVersionAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT version FROM imports WHERE import_id = @import_id");
        command.AddParameter("@import_id", importId);
        return await command.ExecuteScalarAsync(cancellationToken) is { } version
            ? Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Each (citizen, relative's birth date) pair of an import.</summary>
    public async Task<IReadOnlyList<RelativeBirthDate>> ReadRelativeBirthDatesAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(
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

    /// <summary>
    /// Every citizen of an import with town, birth date, channel, relatives and friends, ordered by citizen_id.
    /// (Interim: channel and friends are not stored yet; the storage rework fills them.)
    /// </summary>
    public async Task<IReadOnlyList<Person>> ReadPeopleAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(
            "SELECT c.citizen_id, c.town, c.birth_date, r.relative_id FROM citizens c"
            + " LEFT JOIN relations r ON r.import_id = c.import_id AND r.citizen_id = c.citizen_id"
            + " WHERE c.import_id = @import_id ORDER BY c.citizen_id, r.relative_id");
        command.AddParameter("@import_id", importId);
        var people = new List<Person>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var citizenId = reader.GetInt32(0);
            if (people.Count == 0 || people[^1].CitizenId != citizenId)
            {
                people.Add(new Person(citizenId, reader.GetString(1), reader.GetFieldValue<DateOnly>(2), null, new List<int>(), []));
            }
            if (!reader.IsDBNull(3))
            {
                ((List<int>)people[^1].Relatives).Add(reader.GetInt32(3));
            }
        }
        return people;
    }

    /// <summary>Each citizen's (town, birth date) of an import.</summary>
    public async Task<IReadOnlyList<TownBirthDate>> ReadTownBirthDatesAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT town, birth_date FROM citizens WHERE import_id = @import_id");
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
