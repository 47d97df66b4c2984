namespace Analyzer.Datasets.Csv;

/// <summary>The column types inference chooses from, narrowest first; <see cref="ColumnTypes"/> names them for the API.</summary>
public enum ColumnType
{
    Integer,
    Float,
    Boolean,
    Date,
    Timestamp,
    Text,
}

public static class ColumnTypes
{
    private static readonly string[] Names = ["integer", "float", "boolean", "date", "timestamp", "text"];

    /// <summary>The name in API answers and in the catalog: <c>integer</c>, <c>float</c>, <c>boolean</c>, <c>date</c>, <c>timestamp</c>, <c>text</c>.</summary>
    public static string ToApiName(this ColumnType type) => Names[(int)type];

    public static bool TryParse(string? name, out ColumnType type)
    {
        var index = Array.IndexOf(Names, name);
        type = index >= 0 ? (ColumnType)index : ColumnType.Text;
        return index >= 0;
    }
}
