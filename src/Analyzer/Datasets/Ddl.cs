using System.Text;
using Analyzer.Datasets.Csv;
using Analyzer.Datasets.Geography;
using Analyzer.Storage;

namespace Analyzer.Datasets;

/// <summary>The SQL text that creates a dataset's table. Identifiers are always quoted.</summary>
public static class Ddl
{
    public static string Quote(string identifier) => SqlDialect.Quote(identifier);

    /// <summary>
    /// CREATE TABLE, and for a geographic dataset (<paramref name="geo"/>) its PostGIS column and its indexes (see
    /// <see cref="NearSql"/>), one statement after the other.
    /// </summary>
    public static string CreateTable(SqlDialect dialect, string table, IReadOnlyList<DatasetColumn> columns, GeoColumns? geo = null)
    {
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE ").Append(dialect.DatasetTable(table)).Append(" (\n");
        sql.Append("    ").Append(dialect.IdentityKey(Quote("id"))).Append(",\n");
        foreach (var column in columns)
        {
            sql.Append("    ").Append(Quote(column.Name)).Append(' ').Append(SqlType(dialect, column.Type));
            if (!column.Nullable)
            {
                sql.Append(" NOT NULL");
            }
            if (column.Type == ColumnType.Boolean)
            {
                sql.Append(dialect.BooleanCheck(Quote(column.Name)));
            }
            sql.Append(",\n");
        }
        sql.Append("    ").Append(Quote("deleted_at")).Append(' ').Append(dialect.TimestampType);
        if (geo is { Point: true })
        {
            sql.Append(",\n    ").Append(NearSql.PointColumnDefinition(geo));
        }
        sql.Append('\n').Append(')').Append(dialect.TableOptions);
        if (geo is not null)
        {
            foreach (var statement in NearSql.TableStatements(dialect, table, geo))
            {
                sql.Append(";\n").Append(statement);
            }
        }
        return sql.ToString();
    }

    public static string SqlType(SqlDialect dialect, ColumnType type) => type switch
    {
        ColumnType.Integer => dialect.Int64Type,
        ColumnType.Float => dialect.DoubleType,
        ColumnType.Boolean => dialect.BooleanType,
        ColumnType.Date => dialect.DateType,
        ColumnType.Timestamp => dialect.TimestampType,
        _ => dialect.TextType,
    };

    public static string ColumnList(IEnumerable<DatasetColumn> columns) => string.Join(", ", columns.Select(c => Quote(c.Name)));
}
