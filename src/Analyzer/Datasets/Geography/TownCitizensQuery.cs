using Analyzer.Storage;

namespace Analyzer.Datasets.Geography;

/// <summary>
/// The towns of an import, their citizens and channels, read here rather than through the imports' store (a
/// feature does not use another's store): one range scan of citizens by import_id.
/// </summary>
public sealed class TownCitizensQuery(Database database)
{
    /// <summary>The import's towns (ordinal order) with their citizen ids; null when there is no such import.</summary>
    public async Task<IReadOnlyList<TownCitizens>?> ReadAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginReadAsync(null, cancellationToken);
        await using (var exists = session.Command("SELECT 1 FROM imports WHERE import_id = @import_id"))
        {
            exists.AddParameter("@import_id", importId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }
        await using var command = session.Command("SELECT town, citizen_id, channel FROM citizens WHERE import_id = @import_id");
        command.AddParameter("@import_id", importId);
        var towns = new Dictionary<string, (List<int> Ids, SortedDictionary<string, int> Channels)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var town = reader.GetString(0);
            if (!towns.TryGetValue(town, out var citizens))
            {
                towns[town] = citizens = ([], new SortedDictionary<string, int>(StringComparer.Ordinal));
            }
            citizens.Ids.Add(reader.GetInt32(1));
            var channel = reader.IsDBNull(2) ? "" : reader.GetString(2);
            citizens.Channels[channel] = citizens.Channels.GetValueOrDefault(channel) + 1;
        }
        return [.. towns.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new TownCitizens(t.Key, [.. t.Value.Ids.Order()], t.Value.Channels))];
    }
}
