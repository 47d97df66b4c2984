using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Bench;

/// <summary>
/// What the kill trials check in the database itself, by SQL, never through the service: imports whole, relatives
/// and friends mutual, every dataset's table holding the rows its catalog entry counts (no table without an entry),
/// and on SQLite <c>PRAGMA integrity_check</c>. Each method returns the violations it found, as sentences.
/// </summary>
public sealed class StoreChecks(bool sqlite, string connectionString)
{
    /// <summary>A SQLite file (read without pooling, so that no handle outlives a check) or an Npgsql connection string.</summary>
    public static StoreChecks ForSqlite(string file) =>
        new(true, new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 30 }.ToString());

    public static StoreChecks ForPostgres(string npgsqlConnectionString) =>
        new(false, new NpgsqlConnectionStringBuilder(npgsqlConnectionString) { Pooling = false }.ToString());

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        DbConnection connection = sqlite ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task<List<object[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    private static long Number(object value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);

    /// <summary>Citizens per import (imports with none included).</summary>
    public async Task<Dictionary<long, long>> ImportSizesAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT i.import_id, count(c.citizen_id) FROM imports i LEFT JOIN citizens c ON c.import_id = i.import_id GROUP BY i.import_id",
            cancellationToken)).ToDictionary(row => Number(row[0]), row => Number(row[1]));

    /// <summary>An import's version (PATCHes applied).</summary>
    public async Task<long> VersionAsync(long importId, CancellationToken cancellationToken) =>
        Number((await QueryAsync($"SELECT version FROM imports WHERE import_id = {importId.ToString(CultureInfo.InvariantCulture)}", cancellationToken))[0][0]);

    /// <summary>Rows of citizens, datasets' tables and pending changes that nothing else would find.</summary>
    public async Task<List<string>> ViolationsAsync(CancellationToken cancellationToken)
    {
        var violations = new List<string>();
        var orphans = Number((await QueryAsync("SELECT count(*) FROM citizens WHERE import_id NOT IN (SELECT import_id FROM imports)", cancellationToken))[0][0]);
        if (orphans > 0)
        {
            violations.Add($"{orphans} citizens belong to no import");
        }
        foreach (var list in (string[])["relatives", "friends"])
        {
            var oneWay = Number((await QueryAsync(sqlite
                ? $"SELECT count(*) FROM citizens c, json_each(c.{list}) r WHERE NOT EXISTS (SELECT 1 FROM citizens d, json_each(d.{list}) s "
                    + "WHERE d.import_id = c.import_id AND d.citizen_id = r.value AND s.value = c.citizen_id)"
                : $"SELECT count(*) FROM citizens c CROSS JOIN LATERAL unnest(c.{list}) r(id) WHERE NOT EXISTS (SELECT 1 FROM citizens d "
                    + $"WHERE d.import_id = c.import_id AND d.citizen_id = r.id AND c.citizen_id = ANY(d.{list}))", cancellationToken))[0][0]);
            if (oneWay > 0)
            {
                violations.Add($"{oneWay} {list} links are not mutual");
            }
        }
        var catalog = (await QueryAsync("SELECT name, row_count FROM datasets", cancellationToken)).ToDictionary(row => (string)row[0], row => Number(row[1]));
        foreach (var (name, rowCount) in catalog)
        {
            var rows = await DatasetRowsAsync(name, cancellationToken);
            if (rows != rowCount)
            {
                violations.Add($"dataset {name}: its catalog entry counts {rowCount} rows, its table holds {rows}");
            }
        }
        var tables = (await QueryAsync(sqlite
            ? "SELECT substr(name, 10) FROM sqlite_master WHERE type = 'table' AND name LIKE 'datasets.%'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'datasets'", cancellationToken)).Select(row => (string)row[0]);
        violations.AddRange(tables.Where(table => !catalog.ContainsKey(table)).Select(table => $"table of dataset {table} has no catalog entry (half-created)"));
        if (sqlite)
        {
            var integrity = string.Join("; ", (await QueryAsync("PRAGMA integrity_check", cancellationToken)).Select(row => row[0]));
            if (integrity != "ok")
            {
                violations.Add($"PRAGMA integrity_check: {integrity}");
            }
            var foreignKeys = (await QueryAsync("PRAGMA foreign_key_check", cancellationToken)).Count;
            if (foreignKeys > 0)
            {
                violations.Add($"PRAGMA foreign_key_check: {foreignKeys} rows");
            }
        }
        return violations;
    }

    /// <summary>The rows of a dataset's table.</summary>
    public async Task<long> DatasetRowsAsync(string name, CancellationToken cancellationToken) =>
        Number((await QueryAsync(sqlite ? $"SELECT count(*) FROM \"datasets.{name}\"" : $"SELECT count(*) FROM datasets.\"{name}\"", cancellationToken))[0][0]);

    /// <summary>The rows of a dataset whose <paramref name="column"/> is <paramref name="value"/>.</summary>
    public async Task<long> DatasetRowsWhereAsync(string name, string column, string value, CancellationToken cancellationToken) =>
        Number((await QueryAsync((sqlite ? $"SELECT count(*) FROM \"datasets.{name}\"" : $"SELECT count(*) FROM datasets.\"{name}\"")
            + $" WHERE {column} = '{value.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken))[0][0]);

    /// <summary>Whether the dataset has a catalog entry.</summary>
    public async Task<bool> DatasetExistsAsync(string name, CancellationToken cancellationToken) =>
        Number((await QueryAsync($"SELECT count(*) FROM datasets WHERE name = '{name.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken))[0][0]) == 1;
}
