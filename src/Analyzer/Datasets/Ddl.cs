using System.Text;
using System.Text.RegularExpressions;
using Analyzer.Datasets.Csv;
using Analyzer.Storage;

namespace Analyzer.Datasets;

/// <summary>The SQL text that names and creates dataset tables. Identifiers are always quoted.</summary>
public static partial class Ddl
{
    /// <summary>
    /// Quotes an identifier. Dataset and column names are normalised to <c>[a-z0-9_]</c> before they get
    /// here; anything else is a bug, not input, so it throws.
    /// </summary>
    public static string Quote(string identifier) =>
        SafeIdentifier().IsMatch(identifier)
            ? $"\"{identifier}\""
            : throw new ArgumentException($"'{identifier}' is not a normalised identifier", nameof(identifier));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SafeIdentifier();

    public static string CreateTable(DatabaseKind kind, string table, IReadOnlyList<DatasetColumn> columns)
    {
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE ").Append(Quote(table)).Append(" (\n");
        sql.Append(kind == DatabaseKind.Postgres
            ? "    \"id\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            : "    \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n");
        foreach (var column in columns)
        {
            sql.Append("    ").Append(Quote(column.Name)).Append(' ').Append(SqlType(kind, column.Type));
            if (!column.Nullable)
            {
                sql.Append(" NOT NULL");
            }
            if (kind == DatabaseKind.Sqlite && column.Type == ColumnType.Boolean)
            {
                sql.Append(" CHECK (").Append(Quote(column.Name)).Append(" IN (0, 1))");
            }
            sql.Append(",\n");
        }
        sql.Append("    \"deleted_at\" ").Append(SqlType(kind, ColumnType.Timestamp)).Append('\n');
        // STRICT: SQLite checks every value against the column's type, as PostgreSQL does.
        sql.Append(kind == DatabaseKind.Postgres ? ")" : ") STRICT");
        return sql.ToString();
    }

    public static string SqlType(DatabaseKind kind, ColumnType type) => (kind, type) switch
    {
        (DatabaseKind.Postgres, ColumnType.Integer) => "bigint",
        (DatabaseKind.Postgres, ColumnType.Float) => "double precision",
        (DatabaseKind.Postgres, ColumnType.Boolean) => "boolean",
        (DatabaseKind.Postgres, ColumnType.Date) => "date",
        (DatabaseKind.Postgres, ColumnType.Timestamp) => "timestamptz",
        (DatabaseKind.Postgres, _) => "text",
        (_, ColumnType.Integer or ColumnType.Boolean) => "INTEGER",
        (_, ColumnType.Float) => "REAL",
        _ => "TEXT", // dates as YYYY-MM-DD, timestamps as ISO 8601 in UTC: both sort as text
    };

    public static string ColumnList(IEnumerable<DatasetColumn> columns) => string.Join(", ", columns.Select(c => Quote(c.Name)));
}
