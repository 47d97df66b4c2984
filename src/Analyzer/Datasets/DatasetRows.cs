using System.Data.Common;
using System.Globalization;
using Analyzer.Datasets.Geography;
using Analyzer.Events;
using Analyzer.Storage;

namespace Analyzer.Datasets;

/// <summary>Filters, order and page of a rows listing, already checked against the columns.</summary>
public sealed record RowQuery(
    IReadOnlyList<(DatasetColumn Column, object? Value)> Filters,
    DatasetColumn? OrderBy,
    bool Descending,
    long? After,
    long Offset,
    int Limit,
    bool IncludeDeleted,
    Near? Near = null);

/// <summary>
/// Opens the rows of one dataset for reading or writing. Both hold the dataset's lock shared (on PostgreSQL;
/// SQLite reads a snapshot, and writes one at a time), so the catalog entry read at the start stays true
/// until the end: an upload that replaces or drops the dataset waits, and a request that waited sees the
/// new entry or none — never SQL built from a stale column list.
/// </summary>
public sealed class DatasetRows(Database database, DatasetCatalog catalog, Spatial spatial, TimeProvider time)
{
    public Task<RowsTransaction> BeginReadAsync(string name, CancellationToken cancellationToken) =>
        BeginAsync(name, write: false, cancellationToken);

    public Task<RowsTransaction> BeginWriteAsync(string name, CancellationToken cancellationToken) =>
        BeginAsync(name, write: true, cancellationToken);

    private async Task<RowsTransaction> BeginAsync(string name, bool write, CancellationToken cancellationToken)
    {
        var resource = ResourceLock.Dataset(name).AsShared();
        var session = write
            ? await database.BeginWriteAsync(resource, cancellationToken)
            : await database.BeginReadAsync(resource, cancellationToken);
        try
        {
            var dataset = await catalog.GetAsync(session, name, cancellationToken);
            var postGis = dataset?.Geo is { Point: true } && await spatial.UsesPostGisAsync(cancellationToken);
            return new RowsTransaction(session, dataset, database.Dialect, catalog, time, postGis);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// The rows of one dataset within one transaction (see <see cref="DatasetRows"/>). <see cref="Dataset"/> is
/// null when there is no such dataset. Changes take effect at <see cref="CommitAsync"/>; a change that
/// finds no row changes nothing. Searches by distance use PostGIS when <paramref name="postGis"/> (see <see cref="NearSql"/>).
/// </summary>
public sealed class RowsTransaction(DbSession session, Dataset? dataset, SqlDialect dialect, DatasetCatalog catalog, TimeProvider time, bool postGis = false) : IAsyncDisposable
{
    public Dataset? Dataset { get; } = dataset;

    /// <summary>The session, for the confirmation links that share this transaction.</summary>
    internal DbSession Session { get; } = session;

    private Dataset Current => Dataset ?? throw new InvalidOperationException("there is no such dataset");

    private string Table => dialect.DatasetTable(Current.Name);

    private string SelectRow => $"SELECT \"id\", {Ddl.ColumnList(Current.Columns)}, \"deleted_at\" FROM {Table}";

    public Task CommitAsync(CancellationToken cancellationToken) => Session.CommitAsync(cancellationToken);

    public ValueTask DisposeAsync() => Session.DisposeAsync();

    /// <summary>A row of <see cref="SelectRow"/>, and its distance when the query added one after deleted_at.</summary>
    private DatasetRow ReadRow(DbDataReader reader, bool withDistance = false)
    {
        var values = new object?[Current.Columns.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = RowValues.Read(reader, i + 1, Current.Columns[i].Type);
        }
        return new DatasetRow(reader.GetInt64(0), values, RowValues.ReadTimestamp(reader, values.Length + 1),
            withDistance ? reader.GetDouble(values.Length + 2) : null);
    }

    /// <summary>One page of rows, plus whether more follow.</summary>
    public async Task<(IReadOnlyList<DatasetRow> Rows, bool More)> ReadPageAsync(RowQuery query, CancellationToken cancellationToken)
    {
        await using var command = Session.Command("");
        var conditions = new List<string>();
        if (!query.IncludeDeleted)
        {
            conditions.Add("\"deleted_at\" IS NULL");
        }
        for (var i = 0; i < query.Filters.Count; i++)
        {
            var (column, value) = query.Filters[i];
            if (value is null)
            {
                conditions.Add($"{Ddl.Quote(column.Name)} IS NULL");
            }
            else
            {
                conditions.Add($"{Ddl.Quote(column.Name)} = @f{i}");
                command.AddParameter($"@f{i}", dialect.ToParameter(value));
            }
        }
        var distance = "";
        if (query.Near is { } near)
        {
            var (nearConditions, distanceSql) = NearSql.Build(dialect, Current.Geo ?? throw new InvalidOperationException("the dataset is not geographic"), postGis, near, command);
            conditions.AddRange(nearConditions);
            distance = ", " + distanceSql + " AS \"distance_m\"";
        }
        if (query.After is { } after)
        {
            conditions.Add(query.Descending ? "\"id\" < @after" : "\"id\" > @after");
            command.AddParameter("@after", after);
        }
        var direction = query.Descending ? "DESC" : "ASC";
        var order = query.OrderBy is { } orderBy
            ? $"{Ddl.Quote(orderBy.Name)} {direction}{dialect.NullsAsSmallest(query.Descending)}, \"id\" {direction}"
            : query.Near is not null ? "\"distance_m\", \"id\""
            : $"\"id\" {direction}";
        command.CommandText = $"SELECT \"id\", {Ddl.ColumnList(Current.Columns)}, \"deleted_at\"{distance} FROM {Table}"
            + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : "")
            + $" ORDER BY {order} LIMIT @limit OFFSET @offset";
        command.AddParameter("@limit", query.Limit + 1);
        command.AddParameter("@offset", query.Offset);
        var rows = new List<DatasetRow>(Math.Min(query.Limit + 1, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader, query.Near is not null));
        }
        var more = rows.Count > query.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return (rows, more);
    }

    /// <summary>
    /// For each centre, the rows not deleted within <paramref name="meters"/> of it, nearest first (then by id), each with
    /// its distance: one statement per 500 centres (see <see cref="NearSql.BuildMany"/>).
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<DatasetRow>>> ReadNearManyAsync(IReadOnlyList<(double Lat, double Lon)> centres, double meters, CancellationToken cancellationToken)
    {
        var geo = Current.Geo ?? throw new InvalidOperationException("the dataset is not geographic");
        var found = centres.Select(_ => new List<DatasetRow>()).ToArray();
        foreach (var chunk in Enumerable.Range(0, centres.Count).Chunk(500))
        {
            await using var command = Session.Command("");
            var (with, conditions, distance) = NearSql.BuildMany(dialect, geo, postGis, [.. chunk.Select(i => centres[i])], meters, command);
            var columns = string.Join(", ", Current.Columns.Select(c => "\"t\"." + Ddl.Quote(c.Name)));
            command.CommandText = $"{with} SELECT \"centres\".\"centre\", \"t\".\"id\", {columns}, \"t\".\"deleted_at\", {distance} AS \"distance_m\""
                + $" FROM \"centres\" JOIN {Table} AS \"t\" ON {string.Join(" AND ", conditions)} WHERE \"t\".\"deleted_at\" IS NULL"
                + " ORDER BY \"centres\".\"centre\", \"distance_m\", \"t\".\"id\"";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var centre = chunk[reader.GetInt32(0)];
                var values = new object?[Current.Columns.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = RowValues.Read(reader, i + 2, Current.Columns[i].Type);
                }
                found[centre].Add(new DatasetRow(reader.GetInt64(1), values, null, reader.GetDouble(values.Length + 3)));
            }
        }
        return found;
    }

    /// <summary>The text of <paramref name="key"/> and the coordinates of every row not deleted that has all three.</summary>
    public async Task<IReadOnlyList<(string Key, double Lat, double Lon)>> ReadCoordinatesAsync(DatasetColumn key, CancellationToken cancellationToken)
    {
        var geo = Current.Geo ?? throw new InvalidOperationException("the dataset is not geographic");
        var (column, lat, lon) = (Ddl.Quote(key.Name), Ddl.Quote(geo.Lat), Ddl.Quote(geo.Lon));
        await using var command = Session.Command(
            $"SELECT {column}, {lat}, {lon} FROM {Table} WHERE \"deleted_at\" IS NULL AND {column} IS NOT NULL AND {lat} IS NOT NULL AND {lon} IS NOT NULL");
        var rows = new List<(string, double, double)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture), Convert.ToDouble(reader.GetValue(2), CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    public async Task<DatasetRow?> ReadRowAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = Session.Command(SelectRow + " WHERE \"id\" = @id");
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRow(reader) : null;
    }

    public async Task<DatasetRow> InsertAsync(IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var command = Session.Command("");
        var given = Current.Columns.Where(c => values.ContainsKey(c.Name)).ToArray();
        command.CommandText = given.Length == 0
            ? $"INSERT INTO {Table} DEFAULT VALUES RETURNING \"id\""
            : $"INSERT INTO {Table} ({Ddl.ColumnList(given)}) VALUES ({string.Join(", ", given.Select((_, i) => $"@v{i}"))}) RETURNING \"id\"";
        for (var i = 0; i < given.Length; i++)
        {
            command.AddParameter($"@v{i}", dialect.ToParameter(values[given[i].Name]));
        }
        var id = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        await catalog.TouchAsync(Session, Current.Name, +1, time.GetUtcNow(), cancellationToken);
        await RowEventAsync(EventTypes.DatasetRowCreated, id, cancellationToken);
        return (await ReadRowAsync(id, cancellationToken))!;
    }

    /// <summary>Sets the given columns of a row; null when there is no such row.</summary>
    public async Task<DatasetRow?> UpdateAsync(long id, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var command = Session.Command("");
        var given = Current.Columns.Where(c => values.ContainsKey(c.Name)).ToArray();
        command.CommandText = $"UPDATE {Table} SET {string.Join(", ", given.Select((c, i) => $"{Ddl.Quote(c.Name)} = @v{i}"))} WHERE \"id\" = @id";
        for (var i = 0; i < given.Length; i++)
        {
            command.AddParameter($"@v{i}", dialect.ToParameter(values[given[i].Name]));
        }
        command.AddParameter("@id", id);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return null;
        }
        await catalog.TouchAsync(Session, Current.Name, 0, time.GetUtcNow(), cancellationToken);
        await RowEventAsync(EventTypes.DatasetRowUpdated, id, cancellationToken);
        return await ReadRowAsync(id, cancellationToken);
    }

    /// <summary>Sets or clears the soft-delete mark; the row as it now is, or null when there is no such row.</summary>
    public async Task<DatasetRow?> SetDeletedAsync(long id, bool deleted, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var command = Session.Command(deleted
            ? $"UPDATE {Table} SET \"deleted_at\" = @now WHERE \"id\" = @id AND \"deleted_at\" IS NULL"
            : $"UPDATE {Table} SET \"deleted_at\" = NULL WHERE \"id\" = @id AND \"deleted_at\" IS NOT NULL");
        command.AddParameter("@now", dialect.ToParameter(now));
        command.AddParameter("@id", id);
        if (await command.ExecuteNonQueryAsync(cancellationToken) > 0)
        {
            await catalog.TouchAsync(Session, Current.Name, 0, now, cancellationToken);
            await RowEventAsync(deleted ? EventTypes.DatasetRowDeleted : EventTypes.DatasetRowRestored, id, cancellationToken);
        }
        return await ReadRowAsync(id, cancellationToken);
    }

    /// <summary>Removes a row; false when there is no such row.</summary>
    public async Task<bool> PurgeAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = Session.Command($"DELETE FROM {Table} WHERE \"id\" = @id");
        command.AddParameter("@id", id);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }
        await catalog.TouchAsync(Session, Current.Name, -1, time.GetUtcNow(), cancellationToken);
        await RowEventAsync(EventTypes.DatasetRowDeleted, id, cancellationToken);
        return true;
    }

    /// <summary>The row change's event, in this transaction: it commits with the change or not at all.</summary>
    private Task RowEventAsync(string type, long rowId, CancellationToken cancellationToken) =>
        Outbox.AppendAsync(Session, EventTypes.ForDatasetRow(type, Current.Name, rowId), cancellationToken);
}
