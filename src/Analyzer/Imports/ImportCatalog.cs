using System.Data.Common;
using System.Globalization;
using System.Text.Json.Serialization;
using Analyzer.Events;
using Analyzer.Storage;

namespace Analyzer.Imports;

/// <summary>One import as <c>GET /imports</c> lists it: when it came, how big it is, how often it was corrected.</summary>
public sealed record ImportSummary(
    [property: JsonPropertyName("import_id")] long ImportId,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("citizens")] long Citizens,
    [property: JsonPropertyName("towns")] long Towns,
    [property: JsonPropertyName("version")] long Version);

/// <summary>A town of an import and how many of its citizens live there.</summary>
public sealed record TownCitizens([property: JsonPropertyName("town")] string Town, [property: JsonPropertyName("citizens")] long Citizens);

/// <summary><see cref="ImportSummary"/> plus the import's towns (<c>GET /imports/{id}</c>).</summary>
public sealed record ImportDetail(
    [property: JsonPropertyName("import_id")] long ImportId,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("citizens")] long Citizens,
    [property: JsonPropertyName("towns")] long Towns,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("town_citizens")] IReadOnlyList<TownCitizens> TownCitizens);

/// <summary>
/// The imports as a whole: list (newest first, keyset pages by id), one import's summary, and deletion. Kept apart
/// from <see cref="CitizenStore"/>, which reads and writes the citizens of one import.
/// </summary>
public sealed class ImportCatalog(Database database)
{
    private const string SummaryColumns =
        "i.import_id, i.created_at, i.version,"
        + " (SELECT count(*) FROM citizens c WHERE c.import_id = i.import_id),"
        + " (SELECT count(DISTINCT c.town) FROM citizens c WHERE c.import_id = i.import_id)";

    /// <summary>Up to <paramref name="limit"/> imports with ids below <paramref name="before"/> (all when null), newest first, and whether more follow.</summary>
    public async Task<(IReadOnlyList<ImportSummary> Imports, bool More)> ListAsync(long? before, int limit, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT " + SummaryColumns + " FROM imports i"
            + (before is null ? "" : " WHERE i.import_id < @before") + " ORDER BY i.import_id DESC LIMIT @limit");
        if (before is { } id)
        {
            command.AddParameter("@before", id);
        }
        command.AddParameter("@limit", limit + 1);
        var imports = new List<ImportSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            imports.Add(ReadSummary(reader));
        }
        var more = imports.Count > limit;
        return (more ? imports[..limit] : imports, more);
    }

    /// <summary>One import with its towns (alphabetical, by ordinal comparison), or null for an unknown import.</summary>
    public async Task<ImportDetail?> FindAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginReadAsync(ResourceLock.Import(importId).AsShared(), cancellationToken);
        ImportSummary summary;
        await using (var command = session.Command("SELECT " + SummaryColumns + " FROM imports i WHERE i.import_id = @import_id"))
        {
            command.AddParameter("@import_id", importId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            summary = ReadSummary(reader);
        }
        var towns = new List<TownCitizens>();
        await using (var command = session.Command("SELECT town, count(*) FROM citizens WHERE import_id = @import_id GROUP BY town"))
        {
            command.AddParameter("@import_id", importId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                towns.Add(new TownCitizens(reader.GetString(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
            }
        }
        towns.Sort((a, b) => string.CompareOrdinal(a.Town, b.Town));
        return new ImportDetail(summary.ImportId, summary.CreatedAt, summary.Citizens, summary.Towns, summary.Version, towns);
    }

    /// <summary>
    /// Removes an import and its citizens (with their relatives and friends) in one transaction under the import's lock (so a PATCH
    /// in flight finishes first, and one that waited finds nothing); false for an unknown import.
    /// </summary>
    public async Task<bool> DeleteAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(ResourceLock.Import(importId), cancellationToken);
        int deleted;
        await using (var command = session.Command("DELETE FROM imports WHERE import_id = @import_id"))
        {
            command.AddParameter("@import_id", importId);
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        if (deleted == 0)
        {
            return false;
        }
        await using (var command = session.Command("DELETE FROM citizens WHERE import_id = @import_id"))
        {
            command.AddParameter("@import_id", importId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await Outbox.AppendAsync(session, EventTypes.ForImportDeleted(importId), cancellationToken);
        await session.CommitAsync(cancellationToken);
        return true;
    }

    private static ImportSummary ReadSummary(DbDataReader reader) => new(
        reader.GetInt64(0),
        ReadTimestamp(reader.GetValue(1)),
        Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture),
        Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture),
        Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture));

    /// <summary>created_at: a timestamptz on PostgreSQL, ISO 8601 text in UTC on SQLite.</summary>
    private static DateTime ReadTimestamp(object value) => value switch
    {
        DateTime time => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc),
        DateTimeOffset offset => offset.UtcDateTime,
        string text => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new InvalidCastException($"created_at is a {value.GetType().Name}"),
    };
}
