using System.Globalization;
using System.Text;
using Analyzer.Datasets.Csv;
using FsCheck;
using FsCheck.Fluent;
using static Analyzer.Tests.Datasets.CsvTestStreams;

namespace Analyzer.Tests.Datasets;

/// <summary>
/// Random tables written by a plain CSV writer (below) read back unchanged: cell by cell through the tokenizer,
/// and typed through <see cref="CsvTable.Scan"/> and <see cref="CsvTable.ReadRows"/>.
/// </summary>
public sealed class CsvRoundTripProperties
{
    private static readonly Config Properties = Config.QuickThrowOnFailure.WithMaxTest(300);

    private const string NullMarker = "\\N";

    /// <summary>How a file is written: delimiter, line ending, whether the last line ends, quoting everything.</summary>
    private sealed record Style(char Delimiter, string Newline, bool TrailingNewline, bool QuoteAll, int ReadChunk);

    private static readonly Gen<Style> StyleGen =
        from delimiter in Gen.Elements(CsvDialect.Delimiters.ToArray())
        from newline in Gen.Elements("\n", "\r\n", "\r")
        from trailing in Gen.Elements(true, false)
        from quoteAll in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from chunk in Gen.Elements(1, 2, 7, 100, int.MaxValue)
        select new Style(delimiter, newline, trailing, quoteAll, chunk);

    /// <summary>Characters that break naive CSV handling, and some that are merely not ASCII.</summary>
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "7", " ", ",", ";", "\t", "|", "\"", "\"\"", "\r", "\n", "\r\n", "\\", "N", "\\N", ".", "-", "e",
        "é", "Ж", "Город", "日本", "😀", "\u00A0", "\uFEFF", "'",
    ];

    private static readonly Gen<string> TextGen =
        Gen.Sized(size => Gen.ListOf(Gen.Elements(Pieces), Math.Min(size, 12)).Select(string.Concat));

    private static readonly Gen<string?> CellGen = Gen.Frequency(
        (1, Gen.Constant<string?>(null)),
        (1, Gen.Constant<string?>("")),
        (6, TextGen.Select(s => (string?)s)));

    // ---- the writer ----------------------------------------------------------------------------------

    /// <summary>
    /// RFC 4180 as most tools write it: a NULL is an empty unquoted field, except alone on its line (a blank line
    /// is skipped), where the marker stands for it; a value is quoted when it must be (empty, a delimiter, a quote,
    /// a line break, the marker, a leading byte order mark) or when the style quotes everything.
    /// Returns the text and the line each record starts on.
    /// </summary>
    private static (string Csv, List<int> Lines) Write(IReadOnlyList<string?[]> rows, Style style)
    {
        var csv = new StringBuilder();
        var lines = new List<int>();
        var line = 1;
        for (var r = 0; r < rows.Count; r++)
        {
            lines.Add(line);
            var start = csv.Length;
            for (var c = 0; c < rows[r].Length; c++)
            {
                if (c > 0)
                {
                    csv.Append(style.Delimiter);
                }
                var value = rows[r][c];
                if (value is null)
                {
                    csv.Append(rows[r].Length == 1 ? NullMarker : "");
                }
                else if (style.QuoteAll || value.Length == 0 || value == NullMarker || value.StartsWith('\uFEFF')
                    || value.AsSpan().IndexOfAny([style.Delimiter, '"', '\r', '\n']) >= 0)
                {
                    csv.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
                }
                else
                {
                    csv.Append(value);
                }
            }
            var written = csv.ToString(start, csv.Length - start);
            line += written.Count(ch => ch == '\n') + written.Count(ch => ch == '\r') - CountCrLf(written);
            if (r < rows.Count - 1 || style.TrailingNewline)
            {
                csv.Append(style.Newline);
                line++;
            }
        }
        return (csv.ToString(), lines);
    }

    private static int CountCrLf(string text)
    {
        var count = 0;
        for (var i = text.IndexOf("\r\n", StringComparison.Ordinal); i >= 0; i = text.IndexOf("\r\n", i + 2, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static Stream Open(string csv, Style style) => Trickle(Encoding.UTF8.GetBytes(csv), style.ReadChunk);

    // ---- cells through the tokenizer -----------------------------------------------------------------

    [Fact]
    public void Random_tables_read_back_cell_by_cell()
    {
        var gen =
            from width in Gen.Choose(1, 6)
            from rows in Gen.ListOf(Gen.ArrayOf(CellGen, width))
            from style in StyleGen
            select (Rows: rows, Style: style);
        var options = new CsvOptions { NullMarker = NullMarker };
        Check.One(Properties, Prop.ForAll(Arb.From(gen), input =>
        {
            var (csv, lines) = Write(input.Rows, input.Style);
            var tokenizer = CsvTokenizer.Open(Open(csv, input.Style), new CsvDialect(input.Style.Delimiter));
            var read = new List<string?[]>();
            var readLines = new List<int>();
            while (tokenizer.TryReadRecord(out var record))
            {
                read.Add([.. record.ToArray().Select(f => options.IsNull(f) ? null : f.Value)]);
                readLines.Add(record.Line);
            }
            Assert.Equal(input.Rows, read);
            Assert.Equal(lines, readLines);
            return true;
        }));
    }

    // ---- typed tables through Scan and ReadRows ------------------------------------------------------

    /// <summary>A generated column: its type and values, each the text to write and the value it must load as.</summary>
    private sealed record TypedColumn(string Header, ColumnType Type, (string Text, object Value)?[] Cells);

    private static Gen<long> LongGen =>
        Gen.OneOf(
            Gen.Choose(-1000, 1000).Select(i => (long)i),
            from high in Gen.Choose(int.MinValue, int.MaxValue)
            from low in Gen.Choose(int.MinValue, int.MaxValue)
            select ((long)high << 32) | (uint)low,
            Gen.Elements(long.MinValue, long.MaxValue));

    private static Gen<(string, object)> ValueGen(ColumnType type) => type switch
    {
        ColumnType.Integer => LongGen.Select(l => (l.ToString(CultureInfo.InvariantCulture), (object)l)),
        ColumnType.Float =>
            from bits in LongGen
            let d = BitConverter.Int64BitsToDouble(bits)
            where double.IsFinite(d)
            let text = d.ToString("R", CultureInfo.InvariantCulture)
            select (text.AsSpan().IndexOfAny('.', 'E') >= 0 ? text : text + ".0", (object)d),
        ColumnType.Boolean =>
            from b in Gen.Elements(true, false)
            from spelling in Gen.Elements("lower", "upper", "title")
            let text = b ? "true" : "false"
            select (spelling switch { "upper" => text.ToUpperInvariant(), "title" => char.ToUpperInvariant(text[0]) + text[1..], _ => text }, (object)b),
        ColumnType.Date =>
            from day in Gen.Choose(DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber)
            let date = DateOnly.FromDayNumber(day)
            from dotted in Gen.Elements(true, false)
            select (date.ToString(dotted ? "dd.MM.yyyy" : "yyyy-MM-dd", CultureInfo.InvariantCulture), (object)date),
        ColumnType.Timestamp =>
            from seconds in Gen.Choose(0, int.MaxValue)
            from ticks in Gen.Choose(0, 9_999_999)
            from offsetMinutes in Gen.Choose(-14 * 60, 14 * 60)
            from format in Gen.Elements("yyyy-MM-ddTHH:mm:ss.fffffffzzz", "yyyy-MM-dd HH:mm:sszzz", "yyyy-MM-ddTHH:mm:ss.FFFFFFF'Z'")
            let utc = DateTimeOffset.UnixEpoch.AddSeconds(seconds * 2.0).AddTicks(format.Contains("ss.", StringComparison.Ordinal) ? ticks : 0)
            let local = format.EndsWith("'Z'", StringComparison.Ordinal) ? utc : utc.ToOffset(TimeSpan.FromMinutes(offsetMinutes))
            select (local.ToString(format, CultureInfo.InvariantCulture), (object)utc),
        _ => TextGen.Select(s => ("x" + s, (object)("x" + s))),
    };

    private static readonly Gen<TypedColumn[]> TypedTableGen =
        from width in Gen.Choose(1, 6)
        from height in Gen.Choose(0, 12)
        from columns in Gen.ArrayOf(
            from header in TextGen
            from type in Gen.Elements(Enum.GetValues<ColumnType>())
            from nulls in Gen.Elements(0, 0, 1, 3)
            from cells in Gen.ArrayOf(
                Gen.Frequency(
                    (nulls, Gen.Constant<(string, object)?>(null)),
                    (6, ValueGen(type).Select(v => ((string, object)?)v))),
                height)
            select new TypedColumn(header, type, cells),
            width)
        select columns;

    [Fact]
    public void Random_typed_tables_scan_to_their_types_and_load_their_values()
    {
        var gen = from columns in TypedTableGen from style in StyleGen select (Columns: columns, Style: style);
        Check.One(Properties, Prop.ForAll(Arb.From(gen), input =>
        {
            var columns = input.Columns;
            var height = columns[0].Cells.Length;
            var rows = new List<string?[]> { columns.Select(c => (string?)c.Header).ToArray() };
            for (var r = 0; r < height; r++)
            {
                rows.Add([.. columns.Select(c => c.Cells[r]?.Text)]);
            }
            var (csv, _) = Write(rows, input.Style);
            var options = new CsvOptions { Delimiter = input.Style.Delimiter, NullMarker = NullMarker };

            var table = CsvTable.Scan(Open(csv, input.Style), options);

            Assert.Equal(height, table.RowCount);
            Assert.Equal(ColumnNames.Normalise([.. columns.Select(c => c.Header)]), table.Columns.Select(c => c.Name));
            for (var i = 0; i < columns.Length; i++)
            {
                var anyValue = columns[i].Cells.Any(c => c is not null);
                var anyNull = columns[i].Cells.Any(c => c is null);
                Assert.Equal((anyValue ? columns[i].Type : ColumnType.Text, anyNull || !anyValue), (table.Columns[i].Type, table.Columns[i].Nullable));
            }
            var loaded = table.ReadRows(Open(csv, input.Style)).ToList();
            Assert.Equal(height, loaded.Count);
            for (var r = 0; r < height; r++)
            {
                Assert.Equal(columns.Select(c => c.Cells[r]?.Value), loaded[r]);
            }
            return true;
        }));
    }
}
