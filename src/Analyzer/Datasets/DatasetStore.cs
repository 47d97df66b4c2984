using System.Data.Common;
using System.Text;
using System.Text.Json;
using Analyzer.Datasets.Csv;
using Analyzer.Imports;
using Analyzer.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Datasets;

public enum UploadStatus { Created, AlreadyExists, NotCompatible }

public sealed record UploadOutcome(UploadStatus Status, Dataset? Dataset = null, string? Problem = null);

/// <summary>Filters, order and page of a rows listing, already checked against the columns.</summary>
public sealed record RowQuery(
    IReadOnlyList<(DatasetColumn Column, object? Value)> Filters,
    DatasetColumn? OrderBy,
    bool Descending,
    long? After,
    long Offset,
    int Limit,
    bool IncludeDeleted);

public enum ConfirmStatus { Applied, Unknown, AlreadyUsed, RowGone }

public sealed record ConfirmOutcome(ConfirmStatus Status, Dataset? Dataset = null, string? Action = null, DatasetRow? Row = null);

/// <summary>
/// The datasets' SQL on both back ends: the catalog, the tables named after the datasets, their rows
/// and the changes waiting for a confirmation link. Connections come from the one configured store.
/// </summary>
public sealed class DatasetStore(ICitizenStore database, TimeProvider time)
{
    private DatabaseKind Kind => database.Kind;

    private const string CatalogColumns = "name, columns, ddl, source_file, row_count, created_at, updated_at";

    public async Task<IReadOnlyList<Dataset>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, $"SELECT {CatalogColumns} FROM datasets ORDER BY name");
        return await ReadCatalogAsync(command, cancellationToken);
    }

    public async Task<Dataset?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, name, cancellationToken);
    }

    private async Task<Dataset?> GetAsync(DbConnection connection, DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, $"SELECT {CatalogColumns} FROM datasets WHERE name = @name");
        command.AddParameter("@name", name);
        return (await ReadCatalogAsync(command, cancellationToken)).FirstOrDefault();
    }

    private static async Task<List<Dataset>> ReadCatalogAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var datasets = new List<Dataset>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            datasets.Add(new Dataset(
                reader.GetString(0),
                ParseColumns(reader.GetString(1)),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4),
                RowValues.ReadTimestamp(reader, 5)!.Value,
                RowValues.ReadTimestamp(reader, 6)!.Value));
        }
        return datasets;
    }

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

    /// <summary>
    /// Creates (or replaces, or appends to) a dataset from a scanned CSV file in one transaction:
    /// the table, its rows and its catalog entry all appear, or nothing does.
    /// </summary>
    public async Task<UploadOutcome> UploadAsync(string name, string? sourceFile, CsvTable csv, Stream file, UploadMode mode, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, name, cancellationToken);
        var existing = await GetAsync(connection, transaction, name, cancellationToken);
        if (existing is null && await TableExistsAsync(connection, transaction, name, cancellationToken))
        {
            return new UploadOutcome(UploadStatus.AlreadyExists, Problem: $"a table named {name} exists and is not a dataset; choose another name");
        }
        if (existing is not null && mode == UploadMode.Create)
        {
            return new UploadOutcome(UploadStatus.AlreadyExists, Problem: $"dataset {name} exists; upload with mode=replace or mode=append");
        }

        var now = time.GetUtcNow();
        Dataset dataset;
        if (existing is not null && mode == UploadMode.Append)
        {
            if (AppendProblem(existing, csv) is { } problem)
            {
                return new UploadOutcome(UploadStatus.NotCompatible, Problem: problem);
            }
            var appended = await LoadAsync(connection, transaction, existing.Name, existing.Columns, csv.ReadRowsAs(file, [.. existing.Columns.Select(c => c.Type)], cancellationToken), cancellationToken);
            dataset = existing with { RowCount = existing.RowCount + appended, UpdatedAt = now };
        }
        else
        {
            if (existing is not null)
            {
                await DropAsync(connection, transaction, name, cancellationToken);
            }
            var columns = csv.Columns.Select(c => new DatasetColumn(c.Name, c.Type, c.Nullable)).ToArray();
            var ddl = Ddl.CreateTable(Kind, name, columns);
            await ExecuteAsync(connection, transaction, ddl, cancellationToken);
            var rows = await LoadAsync(connection, transaction, name, columns, csv.ReadRows(file, cancellationToken), cancellationToken);
            dataset = new Dataset(name, columns, ddl, sourceFile, rows, existing?.CreatedAt ?? now, now);
        }
        await SaveCatalogAsync(connection, transaction, dataset, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new UploadOutcome(UploadStatus.Created, dataset);
    }

    /// <summary>Why rows of <paramref name="csv"/> cannot be appended to <paramref name="existing"/>, or null.</summary>
    private static string? AppendProblem(Dataset existing, CsvTable csv)
    {
        var names = csv.Columns.Select(c => c.Name).ToArray();
        if (!names.SequenceEqual(existing.Columns.Select(c => c.Name)))
        {
            return $"appended columns ({string.Join(", ", names)}) differ from the dataset's ({string.Join(", ", existing.Columns.Select(c => c.Name))})";
        }
        foreach (var (column, incoming) in existing.Columns.Zip(csv.Columns))
        {
            var fits = incoming.Type == column.Type
                || column.Type == ColumnType.Text
                || (column.Type == ColumnType.Float && incoming.Type == ColumnType.Integer)
                || (column.Type == ColumnType.Timestamp && incoming.Type == ColumnType.Date);
            if (!fits)
            {
                return $"column {column.Name} is {column.Type.ToApiName()}, but the appended values are {incoming.Type.ToApiName()}";
            }
            if (!column.Nullable && incoming.Nullable)
            {
                return $"column {column.Name} is NOT NULL, but the appended file has empty values in it";
            }
        }
        return null;
    }

    private async Task<long> LoadAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<DatasetColumn> columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        long count = 0;
        var columnList = Ddl.ColumnList(columns);
        if (connection is NpgsqlConnection postgres)
        {
            await using var copy = await BinaryCopyWriter.StartAsync(postgres, $"COPY {Ddl.Quote(table)} ({columnList}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in rows)
            {
                copy.StartRow(row.Length);
                foreach (var value in row)
                {
                    switch (value)
                    {
                        case null:
                            copy.WriteNull();
                            break;
                        case long integer:
                            copy.WriteInt64(integer);
                            break;
                        case double number:
                            copy.WriteDouble(number);
                            break;
                        case bool flag:
                            copy.WriteBoolean(flag);
                            break;
                        case DateOnly date:
                            copy.WriteDate(date);
                            break;
                        case DateTimeOffset timestamp:
                            copy.WriteTimestamp(timestamp);
                            break;
                        default:
                            copy.WriteText((string)value);
                            break;
                    }
                }
                await copy.FlushIfFullAsync(cancellationToken);
                count++;
            }
            await copy.CompleteAsync(cancellationToken);
            return count;
        }
        var parameters = string.Join(", ", columns.Select((_, i) => $"@p{i}"));
        await using var insert = connection.CreateCommand(transaction, $"INSERT INTO {Ddl.Quote(table)} ({columnList}) VALUES ({parameters})");
        var values = columns.Select((_, i) => insert.AddParameter($"@p{i}", DBNull.Value)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                values[i].Value = RowValues.ToParameter(Kind, row[i]);
            }
            await insert.ExecuteNonQueryAsync(cancellationToken);
            count++;
        }
        return count;
    }

    private async Task SaveCatalogAsync(DbConnection connection, DbTransaction transaction, Dataset dataset, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction,
            "INSERT INTO datasets (name, columns, ddl, source_file, row_count, created_at, updated_at)"
            + $" VALUES (@name, {JsonParameter("@columns")}, @ddl, @source_file, @row_count, @created_at, @updated_at)"
            + " ON CONFLICT (name) DO UPDATE SET row_count = excluded.row_count, updated_at = excluded.updated_at");
        command.AddParameter("@name", dataset.Name);
        command.AddParameter("@columns", ColumnsJson(dataset.Columns));
        command.AddParameter("@ddl", dataset.Ddl);
        command.AddParameter("@source_file", (object?)dataset.SourceFile ?? DBNull.Value);
        command.AddParameter("@row_count", dataset.RowCount);
        command.AddParameter("@created_at", RowValues.ToParameter(Kind, dataset.CreatedAt));
        command.AddParameter("@updated_at", RowValues.ToParameter(Kind, dataset.UpdatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private string JsonParameter(string name) => Kind == DatabaseKind.Postgres ? $"CAST({name} AS jsonb)" : name;

    /// <summary>Drops a dataset's table and its catalog entry (pending changes go with it).</summary>
    public async Task<bool> DropAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, name, cancellationToken);
        if (await GetAsync(connection, transaction, name, cancellationToken) is null)
        {
            return false;
        }
        await DropAsync(connection, transaction, name, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task DropAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, $"DROP TABLE {Ddl.Quote(name)}", cancellationToken);
        await using var pending = connection.CreateCommand(transaction, "DELETE FROM dataset_pending_changes WHERE dataset = @name");
        pending.AddParameter("@name", name);
        await pending.ExecuteNonQueryAsync(cancellationToken);
        await using var catalog = connection.CreateCommand(transaction, "DELETE FROM datasets WHERE name = @name");
        catalog.AddParameter("@name", name);
        await catalog.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<bool> TableExistsAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, Kind == DatabaseKind.Postgres
            ? "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = @name"
            : "SELECT 1 FROM sqlite_master WHERE name = @name");
        command.AddParameter("@name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// A write transaction that serialises writers of one dataset: an advisory lock on the name
    /// (PostgreSQL; the two-key form, apart from the imports' one-key locks) or BEGIN IMMEDIATE (SQLite).
    /// </summary>
    private async Task<DbTransaction> BeginWriteAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
        if (connection is SqliteConnection sqlite)
        {
            return sqlite.BeginTransaction(deferred: false);
        }
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand(transaction, "SELECT pg_advisory_xact_lock(1145132097, hashtext(@name))");
        command.AddParameter("@name", name);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // ---- rows ----

    private static string SelectRow(Dataset dataset) =>
        $"SELECT \"id\", {Ddl.ColumnList(dataset.Columns)}, \"deleted_at\" FROM {Ddl.Quote(dataset.Name)}";

    private static DatasetRow ReadRow(DbDataReader reader, Dataset dataset)
    {
        var values = new object?[dataset.Columns.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = RowValues.Read(reader, i + 1, dataset.Columns[i].Type);
        }
        return new DatasetRow(reader.GetInt64(0), values, RowValues.ReadTimestamp(reader, values.Length + 1));
    }

    /// <summary>One page of rows, plus whether more follow.</summary>
    public async Task<(IReadOnlyList<DatasetRow> Rows, bool More)> ReadRowsAsync(Dataset dataset, RowQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null, "");
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
                command.AddParameter($"@f{i}", RowValues.ToParameter(Kind, value));
            }
        }
        if (query.After is { } after)
        {
            conditions.Add(query.Descending ? "\"id\" < @after" : "\"id\" > @after");
            command.AddParameter("@after", after);
        }
        var direction = query.Descending ? "DESC" : "ASC";
        var nulls = Kind == DatabaseKind.Postgres ? (query.Descending ? " NULLS LAST" : " NULLS FIRST") : "";
        var order = query.OrderBy is { } orderBy
            ? $"{Ddl.Quote(orderBy.Name)} {direction}{nulls}, \"id\" {direction}"
            : $"\"id\" {direction}";
        command.CommandText = SelectRow(dataset)
            + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : "")
            + $" ORDER BY {order} LIMIT @limit OFFSET @offset";
        command.AddParameter("@limit", query.Limit + 1);
        command.AddParameter("@offset", query.Offset);
        var rows = new List<DatasetRow>(Math.Min(query.Limit + 1, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader, dataset));
        }
        var more = rows.Count > query.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return (rows, more);
    }

    public async Task<DatasetRow?> ReadRowAsync(Dataset dataset, long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await ReadRowAsync(connection, null, dataset, id, cancellationToken);
    }

    private static async Task<DatasetRow?> ReadRowAsync(DbConnection connection, DbTransaction? transaction, Dataset dataset, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, SelectRow(dataset) + " WHERE \"id\" = @id");
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRow(reader, dataset) : null;
    }

    public async Task<DatasetRow> InsertRowAsync(Dataset dataset, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, dataset.Name, cancellationToken);
        var row = await InsertRowAsync(connection, transaction, dataset, values, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    private async Task<DatasetRow> InsertRowAsync(DbConnection connection, DbTransaction transaction, Dataset dataset, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, "");
        var given = dataset.Columns.Where(c => values.ContainsKey(c.Name)).ToArray();
        command.CommandText = given.Length == 0
            ? $"INSERT INTO {Ddl.Quote(dataset.Name)} DEFAULT VALUES RETURNING \"id\""
            : $"INSERT INTO {Ddl.Quote(dataset.Name)} ({Ddl.ColumnList(given)}) VALUES ({string.Join(", ", given.Select((_, i) => $"@v{i}"))}) RETURNING \"id\"";
        for (var i = 0; i < given.Length; i++)
        {
            command.AddParameter($"@v{i}", RowValues.ToParameter(Kind, values[given[i].Name]));
        }
        var id = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        await ChangeRowCountAsync(connection, transaction, dataset.Name, +1, cancellationToken);
        return (await ReadRowAsync(connection, transaction, dataset, id, cancellationToken))!;
    }

    public async Task<DatasetRow?> UpdateRowAsync(Dataset dataset, long id, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, dataset.Name, cancellationToken);
        var row = await UpdateRowAsync(connection, transaction, dataset, id, values, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    private async Task<DatasetRow?> UpdateRowAsync(DbConnection connection, DbTransaction transaction, Dataset dataset, long id, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, "");
        var given = dataset.Columns.Where(c => values.ContainsKey(c.Name)).ToArray();
        command.CommandText = $"UPDATE {Ddl.Quote(dataset.Name)} SET {string.Join(", ", given.Select((c, i) => $"{Ddl.Quote(c.Name)} = @v{i}"))} WHERE \"id\" = @id";
        for (var i = 0; i < given.Length; i++)
        {
            command.AddParameter($"@v{i}", RowValues.ToParameter(Kind, values[given[i].Name]));
        }
        command.AddParameter("@id", id);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return null;
        }
        await TouchAsync(connection, transaction, dataset.Name, cancellationToken);
        return await ReadRowAsync(connection, transaction, dataset, id, cancellationToken);
    }

    /// <summary>Sets or clears the soft-delete mark; returns the row, or null when there is no such row.</summary>
    public async Task<DatasetRow?> SetDeletedAsync(Dataset dataset, long id, bool deleted, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, dataset.Name, cancellationToken);
        await using var command = connection.CreateCommand(transaction, deleted
            ? $"UPDATE {Ddl.Quote(dataset.Name)} SET \"deleted_at\" = @now WHERE \"id\" = @id AND \"deleted_at\" IS NULL"
            : $"UPDATE {Ddl.Quote(dataset.Name)} SET \"deleted_at\" = NULL WHERE \"id\" = @id");
        command.AddParameter("@now", RowValues.ToParameter(Kind, time.GetUtcNow()));
        command.AddParameter("@id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
        var row = await ReadRowAsync(connection, transaction, dataset, id, cancellationToken);
        await TouchAsync(connection, transaction, dataset.Name, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    public async Task<bool> PurgeRowAsync(Dataset dataset, long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, dataset.Name, cancellationToken);
        await using var command = connection.CreateCommand(transaction, $"DELETE FROM {Ddl.Quote(dataset.Name)} WHERE \"id\" = @id");
        command.AddParameter("@id", id);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (deleted)
        {
            await ChangeRowCountAsync(connection, transaction, dataset.Name, -1, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    private async Task ChangeRowCountAsync(DbConnection connection, DbTransaction transaction, string name, int change, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, "UPDATE datasets SET row_count = row_count + @change, updated_at = @now WHERE name = @name");
        command.AddParameter("@change", change);
        command.AddParameter("@now", RowValues.ToParameter(Kind, time.GetUtcNow()));
        command.AddParameter("@name", name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private Task TouchAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken) =>
        ChangeRowCountAsync(connection, transaction, name, 0, cancellationToken);

    // ---- changes confirmed by a link ----

    /// <summary>Stores a validated change to apply when the link with <paramref name="tokenHash"/> is followed.</summary>
    public async Task AddPendingAsync(Dataset dataset, byte[] tokenHash, string action, long? rowId, string changesJson, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand(null,
            "INSERT INTO dataset_pending_changes (token_hash, dataset, action, row_id, changes, created_at, expires_at)"
            + $" VALUES (@token_hash, @dataset, @action, @row_id, {JsonParameter("@changes")}, @created_at, @expires_at)");
        command.AddParameter("@token_hash", tokenHash);
        command.AddParameter("@dataset", dataset.Name);
        command.AddParameter("@action", action);
        command.AddParameter("@row_id", (object?)rowId ?? DBNull.Value);
        command.AddParameter("@changes", changesJson);
        command.AddParameter("@created_at", RowValues.ToParameter(Kind, time.GetUtcNow()));
        command.AddParameter("@expires_at", RowValues.ToParameter(Kind, expiresAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Applies the change of a link once, in one transaction with marking it used. The stored changes
    /// (JSON) are read again by <paramref name="readChanges"/>(dataset, action, changes, errors).
    /// </summary>
    public async Task<ConfirmOutcome> ConfirmAsync(byte[] tokenHash, Func<Dataset, string, string, ValidationErrors, IReadOnlyDictionary<string, object?>> readChanges, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);
        string datasetName, action, changes;
        long? rowId;
        await using (var command = connection.CreateCommand(transaction,
            "SELECT dataset, action, row_id, changes, expires_at, applied_at FROM dataset_pending_changes WHERE token_hash = @token_hash"
            + (Kind == DatabaseKind.Postgres ? " FOR UPDATE" : "")))
        {
            command.AddParameter("@token_hash", tokenHash);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || RowValues.ReadTimestamp(reader, 4) <= time.GetUtcNow())
            {
                return new ConfirmOutcome(ConfirmStatus.Unknown);
            }
            if (!reader.IsDBNull(5))
            {
                return new ConfirmOutcome(ConfirmStatus.AlreadyUsed);
            }
            (datasetName, action, rowId, changes) = (reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetString(3));
        }
        var dataset = await GetAsync(connection, transaction, datasetName, cancellationToken);
        var errors = new ValidationErrors();
        var values = dataset is null ? null : readChanges(dataset, action, changes, errors);
        if (dataset is null || values is null || !errors.IsEmpty)
        {
            return new ConfirmOutcome(ConfirmStatus.RowGone);
        }
        var row = action == "create"
            ? await InsertRowAsync(connection, transaction, dataset, values, cancellationToken)
            : await UpdateRowAsync(connection, transaction, dataset, rowId!.Value, values, cancellationToken);
        if (row is null)
        {
            return new ConfirmOutcome(ConfirmStatus.RowGone);
        }
        await using (var used = connection.CreateCommand(transaction, "UPDATE dataset_pending_changes SET applied_at = @now WHERE token_hash = @token_hash"))
        {
            used.AddParameter("@now", RowValues.ToParameter(Kind, time.GetUtcNow()));
            used.AddParameter("@token_hash", tokenHash);
            await used.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new ConfirmOutcome(ConfirmStatus.Applied, dataset, action, row);
    }
}
