using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Analyzer.Tests.Hostile;

/// <summary>
/// A digest of everything stored: every table of the database (the schema's and the datasets'), every row, every
/// value. Two digests are equal exactly when no table, row or value was added, removed or changed. Rows are hashed
/// each and sorted, so that the order a database happens to return them in does not matter.
/// </summary>
public static class TableDigest
{
    public static async Task<string> ComputeAsync(DbConnection connection, bool postgres, CancellationToken cancellationToken = default)
    {
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = postgres
                ? "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables "
                  + "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
                : "SELECT '\"' || replace(name, '\"', '\"\"') || '\"' FROM sqlite_master WHERE type = 'table' ORDER BY 1";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }
        if (postgres)
        {
            return await PostgresDigestAsync(connection, tables, cancellationToken);
        }
        var all = new StringBuilder();
        foreach (var table in tables)
        {
            all.Append(table).Append('\n');
            foreach (var row in await RowsAsync(connection, table, cancellationToken))
            {
                all.Append(row).Append('\n');
            }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(all.ToString())));
    }

    /// <summary>PostgreSQL hashes each table itself, in one round trip: a row's text form is its every value.</summary>
    private static async Task<string> PostgresDigestAsync(DbConnection connection, List<string> tables, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = string.Join(" UNION ALL ", tables.Select((table, i) =>
            $"SELECT {i} AS n, md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text COLLATE \"C\"), '')) FROM {table} t"))
            + " ORDER BY n";
        var all = new StringBuilder(string.Join('\n', tables));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            all.Append('\n').Append(reader.GetString(1));
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(all.ToString())));
    }

    private static async Task<List<string>> RowsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        var rows = new List<string>();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync(cancellationToken))
        {
            reader.GetValues(values);
            rows.Add(string.Join('\u001f', values.Select(Text)));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static string Text(object value) => value switch
    {
        DBNull => "\u2400",
        byte[] bytes => Convert.ToBase64String(bytes),
        Array array => "[" + string.Join(',', array.Cast<object>().Select(Text)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
