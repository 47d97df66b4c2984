using Analyzer.Datasets.Csv;

namespace Analyzer.Datasets;

public sealed record DatasetColumn(string Name, ColumnType Type, bool Nullable);

/// <summary>
/// A dataset as the catalog describes it: its table is named after it (in the datasets' namespace).
/// <see cref="Version"/> changes whenever the table is created anew, so that a parsed entry can be cached by it.
/// </summary>
public sealed record Dataset(
    string Name,
    IReadOnlyList<DatasetColumn> Columns,
    string Ddl,
    string? SourceFile,
    long RowCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    Geography.GeoColumns? Geo = null)
{
    public DatasetColumn? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// One row of a dataset: the surrogate key, a value per column (null for NULL), the soft-delete mark, and — in answers
/// to a search by distance — its distance in metres.
/// </summary>
public sealed record DatasetRow(long Id, object?[] Values, DateTimeOffset? DeletedAt, double? DistanceMeters = null);

public enum UploadMode { Create, Replace, Append }

/// <summary>What a confirmation link does when it is followed.</summary>
public enum ChangeAction { Create, Update }

public static class ChangeActions
{
    /// <summary>The name in the API and in the dataset_pending_changes table.</summary>
    public static string ToName(this ChangeAction action) => action == ChangeAction.Create ? "create" : "update";

    public static ChangeAction Parse(string name) => name == "create" ? ChangeAction.Create : ChangeAction.Update;
}
