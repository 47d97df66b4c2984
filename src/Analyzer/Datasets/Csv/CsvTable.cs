namespace Analyzer.Datasets.Csv;

/// <summary>A column of a scanned CSV: its normalised name, the header cell it came from (null without a header), its type.</summary>
/// <summary>A column as pass 1 found it; <paramref name="MaxBytes"/> is its longest value in UTF-8 bytes, counted up to <see cref="ColumnTypeAccumulator.MaxBytesCounted"/>; <paramref name="DecimalComma"/>: its numbers are written <c>1.234,56</c>.</summary>
public sealed record CsvColumn(string Name, string? SourceName, ColumnType Type, bool Nullable, int MaxBytes = 0, bool DecimalComma = false);

/// <summary>
/// Pass 1 over an upload (<see cref="Scan"/>): the columns with their inferred types and the row count; then pass 2
/// (<see cref="ReadRows"/>) over the same bytes gives the rows converted to those types. Both apply the same rules,
/// so the endpoint never re-implements header, width or NULL handling.
/// </summary>
public sealed class CsvTable
{
    /// <summary>
    /// The widest file accepted: PostgreSQL allows 1,600 columns per table, and each dataset table also has
    /// <c>id</c> and <c>deleted_at</c>.
    /// </summary>
    public const int MaxColumns = 1600 - 2;

    private CsvTable(CsvDialect dialect, CsvOptions options, IReadOnlyList<CsvColumn> columns, long rowCount)
    {
        Dialect = dialect;
        Options = options;
        Columns = columns;
        RowCount = rowCount;
    }

    /// <summary>The dialect used, with the detected delimiter if none was given: pass 2 reads with it.</summary>
    public CsvDialect Dialect { get; }

    public CsvOptions Options { get; }

    public IReadOnlyList<CsvColumn> Columns { get; }

    public long RowCount { get; }

    /// <summary>
    /// Reads the whole stream once. The delimiter, if not given, is detected on the first 16 KiB (the stream must
    /// then be seekable; its position is put back). The header (when <see cref="CsvOptions.Header"/>) gives the names,
    /// unless <see cref="CsvOptions.Columns"/> does; without either, <c>column_1</c>…<c>column_N</c>. Every record
    /// must be as wide as the first. A file without records is an error; a header alone is a table with 0 rows,
    /// every column nullable text.
    /// </summary>
    /// <exception cref="CsvFormatException">Anything that makes the file unusable, with its line.</exception>
    public static CsvTable Scan(Stream stream, CsvOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        var dialect = new CsvDialect(options.Delimiter ?? CsvDialect.DetectDelimiter(stream));
        var tokenizer = CsvTokenizer.Open(stream, dialect);
        var scan = new Pass1(options, DecimalMarkOf(options, dialect));
        while (tokenizer.TryReadRecord(out var record))
        {
            scan.Add(record);
        }
        return scan.Finish(dialect);
    }

    /// <summary>
    /// <see cref="Scan"/> with asynchronous reads, for a request: it stops with <see cref="OperationCanceledException"/>
    /// once <paramref name="cancellationToken"/> is cancelled (checked before every read of the stream, that is every
    /// 64 KiB), so a client that goes away does not leave a scan of a large file running.
    /// </summary>
    /// <exception cref="CsvFormatException">Anything that makes the file unusable, with its line.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static async Task<CsvTable> ScanAsync(Stream stream, CsvOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var dialect = new CsvDialect(options.Delimiter ?? await CsvDialect.DetectDelimiterAsync(stream, cancellationToken));
        var tokenizer = CsvTokenizer.Open(stream, dialect);
        var scan = new Pass1(options, DecimalMarkOf(options, dialect));
        while (await tokenizer.ReadRecordAsync(cancellationToken))
        {
            scan.Add(tokenizer.Current);
        }
        return scan.Finish(dialect);
    }

    /// <summary>
    /// Pass 2: the data rows of the same bytes (from the stream's current position, which should be where pass 1
    /// started), each a fresh array with one value per column: null for NULL, else the
    /// <see cref="TypeInference.Convert"/> of the field (long, double, bool, DateOnly, DateTimeOffset in UTC, string).
    /// Reads are synchronous (the rows feed a database writer row by row); the enumeration stops with
    /// <see cref="OperationCanceledException"/> before the first record read after <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <exception cref="CsvFormatException">The file no longer matches the scan (it changed in between), or <paramref name="check"/> refused a row.</exception>
    /// <param name="check">What a row's values must satisfy beyond their types: the reason it does not (the exception's detail, with the line), or null.</param>
    public IEnumerable<object?[]> ReadRows(Stream stream, CancellationToken cancellationToken = default, Func<object?[], string?>? check = null) =>
        ReadRows(stream, [.. Columns.Select(c => c.Type)], cancellationToken, check);

    /// <summary>
    /// Pass 2 for appending to an existing table: the values converted to that table's column types
    /// (<paramref name="types"/>, one per column), which the caller has checked each scanned type fits.
    /// </summary>
    public IEnumerable<object?[]> ReadRowsAs(Stream stream, IReadOnlyList<ColumnType> types, CancellationToken cancellationToken = default, Func<object?[], string?>? check = null)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(stream);
        return types.Count == Columns.Count
            ? ReadRows(stream, types, cancellationToken, check)
            : throw new ArgumentException($"{types.Count} types for {Columns.Count} columns", nameof(types));
    }

    private IEnumerable<object?[]> ReadRows(Stream stream, IReadOnlyList<ColumnType> types, CancellationToken cancellationToken, Func<object?[], string?>? check)
    {
        var tokenizer = CsvTokenizer.Open(stream, Dialect);
        var width = Columns.Count;
        var skipHeader = Options.Header;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!tokenizer.TryReadRecord(out var record))
            {
                yield break;
            }
            CheckRowWidth(record, width, Options.Header);
            if (skipHeader)
            {
                skipHeader = false;
                continue;
            }
            var row = new object?[width];
            for (var i = 0; i < width; i++)
            {
                var field = record[i];
                if (Options.IsNull(field))
                {
                    row[i] = Columns[i].Nullable
                        ? null
                        : throw new CsvFormatException(record.Line, $"column {Columns[i].Name} is NULL here but was not when the file was scanned; did the file change?");
                    continue;
                }
                var text = Columns[i].DecimalComma ? TypeInference.FromDecimalComma(field.Value) ?? field.Value : field.Value;
                row[i] = TypeInference.TryConvert(text, types[i], out var value)
                    ? value
                    : throw new CsvFormatException(record.Line, $"column {Columns[i].Name}: '{field.Value}' is not a {types[i].ToApiName()}; did the file change after it was scanned?");
            }
            if (check?.Invoke(row) is { } refused)
            {
                throw new CsvFormatException(record.Line, refused);
            }
            yield return row;
        }
    }

    /// <summary>What pass 1 learns record by record: the width and names from the first, then each column's type.</summary>
    private static DecimalMark DecimalMarkOf(CsvOptions options, CsvDialect dialect) => options.DecimalComma switch
    {
        true => DecimalMark.Comma,
        false => DecimalMark.Point,
        null => dialect.Delimiter == ';' ? DecimalMark.Detect : DecimalMark.Point,
    };

    private sealed class Pass1(CsvOptions options, DecimalMark mark)
    {
        private int width = -1;
        private string?[] sourceNames = [];
        private string[] names = [];
        private ColumnTypeAccumulator[] accumulators = [];
        private long rows;

        public void Add(CsvRecord record)
        {
            if (width >= 0)
            {
                CheckRowWidth(record, width, options.Header);
                Accumulate(record, options, accumulators);
                rows++;
                return;
            }
            width = CheckWidth(record, options);
            sourceNames = options.Header ? record.ToValues() : new string?[width];
            names = ColumnNames.Normalise(options.Columns ?? (options.Header ? record.ToValues() : DefaultNames(width)));
            accumulators = new ColumnTypeAccumulator[width];
            for (var i = 0; i < width; i++)
            {
                accumulators[i] = new ColumnTypeAccumulator(mark);
            }
            if (!options.Header)
            {
                Accumulate(record, options, accumulators);
                rows++;
            }
        }

        public CsvTable Finish(CsvDialect dialect)
        {
            if (width < 0)
            {
                throw new CsvFormatException(0, "the file is empty");
            }
            var columns = new CsvColumn[width];
            for (var i = 0; i < width; i++)
            {
                var (type, nullable, decimalComma) = accumulators[i].Result;
                columns[i] = new CsvColumn(names[i], sourceNames[i], type, nullable, accumulators[i].MaxBytes, decimalComma);
            }
            return new CsvTable(dialect, options, columns, rows);
        }

        private static int CheckWidth(CsvRecord first, CsvOptions options)
        {
            var width = first.Count;
            if (width > MaxColumns)
            {
                throw new CsvFormatException(first.Line, $"the file has {width:N0} columns; a dataset can have at most {MaxColumns:N0} (the table adds id and deleted_at, and a table holds at most 1,600)");
            }
            if (options.Columns is { } columns && columns.Count != width)
            {
                throw new CsvFormatException(first.Line, $"columns= names {columns.Count} columns but the {(options.Header ? "header" : "first record")} has {width}");
            }
            return width;
        }

        private static void Accumulate(CsvRecord record, CsvOptions options, ColumnTypeAccumulator[] accumulators)
        {
            for (var i = 0; i < accumulators.Length; i++)
            {
                var field = record[i];
                if (options.IsNull(field))
                {
                    accumulators[i].AddNull();
                }
                else
                {
                    accumulators[i].Add(field.Value.AsSpan());
                }
            }
        }

        private static string[] DefaultNames(int width)
        {
            var names = new string[width];
            for (var i = 0; i < width; i++)
            {
                names[i] = $"column_{i + 1}";
            }
            return names;
        }
    }

    private static void CheckRowWidth(CsvRecord record, int width, bool header)
    {
        if (record.Count != width)
        {
            throw new CsvFormatException(record.Line, $"the record has {record.Count} fields but the {(header ? "header" : "first record")} has {width}; a field that contains the delimiter, a quote or a line break must be quoted");
        }
    }
}
