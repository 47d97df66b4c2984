namespace Analyzer.Datasets.Csv;

/// <summary>
/// The upload options that shape reading: <c>delimiter</c> (null: detect), <c>header</c>, <c>columns</c> (names for
/// the columns: required width, replacing the header's names if there is one) and <c>null</c> (an extra NULL marker).
/// </summary>
public sealed record CsvOptions
{
    public char? Delimiter { get; init; }

    public bool Header { get; init; } = true;

    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>
    /// An unquoted field equal to this is NULL, like an empty unquoted field always is. Quoted, it is text (as in
    /// PostgreSQL's COPY): <c>\N</c> is NULL, <c>"\N"</c> is the two characters.
    /// </summary>
    public string? NullMarker { get; init; }

    /// <summary>
    /// Whether numbers are written with a decimal comma and dots between thousands (<c>1.234,56</c>): true
    /// (<c>decimal=,</c>), false (<c>decimal=.</c>, numbers as in <c>1234.56</c>), or null: detected per column
    /// when the delimiter is <c>;</c> (see <see cref="ColumnTypeAccumulator"/>).
    /// </summary>
    public bool? DecimalComma { get; init; }

    public bool IsNull(CsvField field) =>
        !field.WasQuoted && (field.Value.Length == 0 || (NullMarker is { Length: > 0 } marker && field.Value == marker));
}
