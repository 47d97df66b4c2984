using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Analyzer.Datasets.Csv;
using Analyzer.Datasets.Geography;
using Analyzer.Events;
using Analyzer.Storage;

namespace Analyzer.Datasets;

/// <summary>
/// The catalog of datasets (table <c>datasets</c>): one entry per dataset with its columns, DDL, row count and
/// times. Every read and write takes the caller's session, so that the entry is read under the same lock
/// or snapshot as the statements built from it. Parsed entries are cached by name and version.
/// </summary>
public sealed class DatasetCatalog(Database database)
{
    private const string Columns = "name, columns, ddl, source_file, row_count, created_at, updated_at, version, geo_lat, geo_lon, geo_point";

    /// <summary>Column lists parsed from the catalog's JSON, by dataset name, with the version they belong to.</summary>
    private readonly ConcurrentDictionary<string, (long Version, DatasetColumn[] Columns)> parsedColumns = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<Dataset>> ListAsync(CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command($"SELECT {Columns} FROM datasets ORDER BY name");
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The entry of <paramref name="name"/> as of now, outside any transaction (for answers that show only the entry).</summary>
    public async Task<Dataset?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        return await GetAsync(session, name, cancellationToken);
    }

    public async Task<Dataset?> GetAsync(DbSession session, string name, CancellationToken cancellationToken)
    {
        await using var command = session.Command($"SELECT {Columns} FROM datasets WHERE name = @name");
        command.AddParameter("@name", name);
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    private async Task<List<Dataset>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var datasets = new List<Dataset>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            var version = reader.GetInt64(7);
            if (!parsedColumns.TryGetValue(name, out var parsed) || parsed.Version != version)
            {
                parsed = (version, ParseColumns(reader.GetString(1)));
                parsedColumns[name] = parsed;
            }
            datasets.Add(new Dataset(
                name,
                parsed.Columns,
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4),
                RowValues.ReadTimestamp(reader, 5)!.Value,
                RowValues.ReadTimestamp(reader, 6)!.Value,
                version,
                reader.IsDBNull(8) ? null : new GeoColumns(reader.GetString(8), reader.GetString(9), reader.GetBoolean(10))));
        }
        return datasets;
    }

    /// <summary>Creates or replaces the entry (a new version means a new table; the same version keeps the columns).</summary>
    public async Task SaveAsync(DbSession session, Dataset dataset, CancellationToken cancellationToken)
    {
        await using var command = session.Command(
            "INSERT INTO datasets (name, columns, ddl, source_file, row_count, created_at, updated_at, version, geo_lat, geo_lon, geo_point)"
            + $" VALUES (@name, {database.Dialect.Json("@columns")}, @ddl, @source_file, @row_count, @created_at, @updated_at, @version, @geo_lat, @geo_lon, @geo_point)"
            + " ON CONFLICT (name) DO UPDATE SET columns = excluded.columns, ddl = excluded.ddl, source_file = excluded.source_file,"
            + " row_count = excluded.row_count, created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version,"
            + " geo_lat = excluded.geo_lat, geo_lon = excluded.geo_lon, geo_point = excluded.geo_point");
        command.AddParameter("@name", dataset.Name);
        command.AddParameter("@columns", ColumnsJson(dataset.Columns));
        command.AddParameter("@ddl", dataset.Ddl);
        command.AddParameter("@source_file", (object?)dataset.SourceFile ?? DBNull.Value);
        command.AddParameter("@row_count", dataset.RowCount);
        command.AddParameter("@created_at", database.Dialect.ToParameter(dataset.CreatedAt));
        command.AddParameter("@updated_at", database.Dialect.ToParameter(dataset.UpdatedAt));
        command.AddParameter("@version", dataset.Version);
        command.AddParameter("@geo_lat", (object?)dataset.Geo?.Lat ?? DBNull.Value);
        command.AddParameter("@geo_lon", (object?)dataset.Geo?.Lon ?? DBNull.Value);
        command.AddParameter("@geo_point", database.Dialect.ToParameter(dataset.Geo?.Point ?? false));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds <paramref name="change"/> to the row count and sets updated_at.</summary>
    public async Task TouchAsync(DbSession session, string name, int change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = session.Command("UPDATE datasets SET row_count = row_count + @change, updated_at = @now WHERE name = @name");
        command.AddParameter("@change", change);
        command.AddParameter("@now", database.Dialect.ToParameter(now));
        command.AddParameter("@name", name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops a dataset's table, its pending changes and its entry, in the session's transaction.</summary>
    public async Task DropAsync(DbSession session, string name, CancellationToken cancellationToken)
    {
        await session.ExecuteAsync($"DROP TABLE {database.Dialect.DatasetTable(name)}", cancellationToken);
        await using var pending = session.Command("DELETE FROM dataset_pending_changes WHERE dataset = @name");
        pending.AddParameter("@name", name);
        await pending.ExecuteNonQueryAsync(cancellationToken);
        await using var entry = session.Command("DELETE FROM datasets WHERE name = @name");
        entry.AddParameter("@name", name);
        await entry.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops a dataset (its table, entry and pending changes); false when there is none.</summary>
    public async Task<bool> DropAsync(string name, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(ResourceLock.Dataset(name), cancellationToken);
        if (await GetAsync(session, name, cancellationToken) is null)
        {
            return false;
        }
        await DropAsync(session, name, cancellationToken);
        await Outbox.AppendAsync(session, EventTypes.ForDataset(EventTypes.DatasetDropped, name, 0), cancellationToken);
        await session.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>A version for a table created anew: random, so that one dropped and created again never repeats a cached one.</summary>
    public static long NewVersion() => Random.Shared.NextInt64(2, long.MaxValue);

    private static string ColumnsJson(IEnumerable<DatasetColumn> columns)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var column in columns)
            {
                writer.WriteStartObject();
                writer.WriteString("name", column.Name);
                writer.WriteString("type", column.Type.ToApiName());
                writer.WriteBoolean("nullable", column.Nullable);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static DatasetColumn[] ParseColumns(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(c => new DatasetColumn(
            c.GetProperty("name").GetString()!,
            ColumnTypes.TryParse(c.GetProperty("type").GetString(), out var type) ? type : ColumnType.Text,
            c.GetProperty("nullable").GetBoolean()))];
    }
}
