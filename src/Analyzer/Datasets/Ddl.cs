using System.Text;
using Analyzer.Datasets.Csv;
using Analyzer.Storage;

namespace Analyzer.Datasets;

/// <summary>The SQL text that creates a dataset's table. Identifiers are always quoted.</summary>
public static class Ddl
{
    public static string Quote(string identifier) => SqlDialect.Quote(identifier);

    public static string CreateTable(SqlDialect dialect, string table, IReadOnlyList<DatasetColumn> columns)
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
        sql.Append("    ").Append(Quote("deleted_at")).Append(' ').Append(dialect.TimestampType).Append('\n');
        sql.Append(')').Append(dialect.TableOptions);
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
