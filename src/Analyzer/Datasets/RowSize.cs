using Analyzer.Datasets.Csv;

namespace Analyzer.Datasets;

/// <summary>
/// The widest row a dataset may have, the same on both back ends: PostgreSQL stores a row in one 8 KiB page
/// (at most 8,160 bytes), and only long text moves out of the row (TOAST), leaving a pointer of about 18
/// bytes. A file whose rows could exceed that is refused at upload, before anything is created, rather
/// than failing half-way with "row is too big" on PostgreSQL while SQLite stores it.
/// </summary>
public static class RowSize
{
    /// <summary>PostgreSQL's MaxHeapTupleSize with 8 KiB pages.</summary>
    public const int MaxBytes = 8160;

    /// <summary>What a text value can take in the row at most: longer ones are moved out, behind a pointer, and padded to 24.</summary>
    private const int TextInRow = 24;

    /// <summary>
    /// The largest row of <paramref name="columns"/> (plus id and deleted_at) in PostgreSQL's layout: a 23-byte
    /// header and a NULL bitmap rounded up to 8, then each value at its alignment. Text counts as its longest
    /// value plus a length byte, up to <see cref="TextInRow"/>.
    /// </summary>
    public static int Estimate(IReadOnlyList<CsvColumn> columns)
    {
        var size = Align(23 + (columns.Count + 2 + 7) / 8, 8);
        size = Align(size, 8) + 8; // id
        foreach (var column in columns)
        {
            size = column.Type switch
            {
                ColumnType.Integer or ColumnType.Float or ColumnType.Timestamp => Align(size, 8) + 8,
                ColumnType.Date => Align(size, 4) + 4,
                ColumnType.Boolean => size + 1,
                _ => size + Math.Min(column.MaxBytes + 1, TextInRow),
            };
        }
        return Align(size, 8) + 8; // deleted_at
    }

    /// <summary>Why rows of <paramref name="columns"/> are too wide to store, or null.</summary>
    public static string? Problem(IReadOnlyList<CsvColumn> columns)
    {
        var size = Estimate(columns);
        return size <= MaxBytes
            ? null
            : $"a row of these {columns.Count:N0} columns takes up to {size:N0} bytes, and a dataset row may take at most {MaxBytes:N0} " +
              "(PostgreSQL's page; integers, floats and timestamps take 8 bytes each): split the file into narrower tables";
    }

    private static int Align(int size, int alignment) => (size + alignment - 1) / alignment * alignment;
}
