using Analyzer.Datasets.Csv;

namespace Analyzer.Datasets;

public sealed record DatasetColumn(string Name, ColumnType Type, bool Nullable);

/// <summary>A dataset as the catalog describes it: its table is named after it.</summary>
public sealed record Dataset(
    string Name,
    IReadOnlyList<DatasetColumn> Columns,
    string Ddl,
    string? SourceFile,
    long RowCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public DatasetColumn? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>One row of a dataset: the surrogate key, a value per column (null for NULL), the soft-delete mark.</summary>
public sealed record DatasetRow(long Id, object?[] Values, DateTimeOffset? DeletedAt);

public enum UploadMode { Create, Replace, Append }
