using Analyzer.Storage;

namespace Analyzer.Analytics;

/// <summary>A citizen and the birth date of one of its relatives.</summary>
public readonly record struct RelativeBirthDate(int CitizenId, DateOnly BirthDate);

public readonly record struct TownBirthDate(string Town, DateOnly BirthDate);

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
