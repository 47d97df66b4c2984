using System.Text;
using Analyzer.Datasets.Csv;
using static Analyzer.Tests.Datasets.CsvTestStreams;

namespace Analyzer.Tests.Datasets;

/// <summary>Pass 1 (<see cref="CsvTable.Scan"/>) and pass 2 (<see cref="CsvTable.ReadRows"/>) over whole files.</summary>
public sealed class CsvTableTests
{
    private static readonly string[] AirportColumns =
        ["airport_id", "name", "city", "country", "iata", "icao", "latitude", "longitude", "altitude", "timezone", "dst", "tz", "type", "source"];

    private static readonly CsvOptions AirportOptions = new() { Header = false, Columns = AirportColumns, NullMarker = "\\N" };

    /// <summary>Scans synchronously, and again with <see cref="CsvTable.ScanAsync"/> seven bytes per read: both must agree.</summary>
    private static CsvTable Scan(string csv, CsvOptions? options = null)
    {
        var table = CsvTable.Scan(Utf8(csv), options ?? new CsvOptions());
        var scanned = ScanAsynchronously(csv, options);
        Assert.Equal(table.Dialect, scanned.Dialect);
        Assert.Equal(table.Columns, scanned.Columns);
        Assert.Equal(table.RowCount, scanned.RowCount);
        return table;
    }

    private static CsvTable ScanAsynchronously(string csv, CsvOptions? options) =>
        Task.Run(() => CsvTable.ScanAsync(TrickleAsync(Encoding.UTF8.GetBytes(csv), chunk: 7), options ?? new CsvOptions())).GetAwaiter().GetResult();

    private static List<object?[]> Rows(string csv, CsvOptions? options = null)
    {
        var table = Scan(csv, options);
        return [.. table.ReadRows(Utf8(csv))];
    }

    private static CsvFormatException Error(string csv, CsvOptions? options = null)
    {
        var error = Assert.Throws<CsvFormatException>(() => Scan(csv, options));
        Assert.Equal(error.Message, Assert.Throws<CsvFormatException>(() => ScanAsynchronously(csv, options)).Message);
        return error;
    }

    private static string Describe(CsvColumn column) => $"{column.Name} {column.Type.ToApiName()}{(column.Nullable ? " null" : "")}";

    // ---- the real file ------------------------------------------------------------------------------

    [Fact]
    public void Airports_scan_to_the_expected_table()
    {
        using var file = File.OpenRead(TestDataPath("airports.dat"));
        var table = CsvTable.Scan(file, AirportOptions);

        Assert.Equal(7698, table.RowCount);
        Assert.Equal(',', table.Dialect.Delimiter);
        Assert.Equal(
            [
                "airport_id integer", "name text", "city text", "country text", "iata text null", "icao text null",
                "latitude float", "longitude float", "altitude integer", "timezone float null", "dst text null",
                "tz text null", "type text", "source text",
            ],
            table.Columns.Select(Describe));
        Assert.All(table.Columns, c => Assert.Null(c.SourceName));
    }

    [Fact]
    public void Airports_read_back_with_their_exact_values()
    {
        using var file = File.OpenRead(TestDataPath("airports.dat"));
        var table = CsvTable.Scan(file, AirportOptions);
        file.Position = 0;
        var rows = table.ReadRows(file).ToList();

        Assert.Equal(7698, rows.Count);
        Assert.Equal(
            [1L, "Goroka Airport", "Goroka", "Papua New Guinea", "GKA", "AYGA", -6.081689834590001, 145.391998291, 5282L, 10.0, "U", "Pacific/Port_Moresby", "airport", "OurAirports"],
            rows[0]);
        // Line 329: doubled quotes inside a quoted name.
        Assert.Equal(
            [332L, "Magdeburg \"City\" Airport", "Magdeburg", "Germany", "ZMG", "EDBM", 52.073612, 11.626389, 259L, 1.0, "E", "Europe/Berlin", "airport", "OurAirports"],
            rows[328]);
        // Line 7032: a quoted empty city is an empty string, \N is NULL.
        Assert.Equal(
            [11794L, "Minsk Mazowiecki Military Air Base", "", "Poland", null, "EPMM", 52.1954994202, 21.6558990479, 604L, null, null, null, "airport", "OurAirports"],
            rows[7031]);
        Assert.Contains(rows, r => (string)r[1]! == "Szczecin-Goleniów \"Solidarność\" Airport");
        Assert.Contains(rows, r => r[9] is 5.5);   // a fractional time zone
    }

    // ---- header and names ---------------------------------------------------------------------------

    [Fact]
    public void The_header_gives_normalised_names_and_keeps_the_original()
    {
        var table = Scan("Airport ID,Name,ID,Город\n1,a,2,x\n");
        Assert.Equal(["airport_id", "name", "id_2", "column_4"], table.Columns.Select(c => c.Name));
        Assert.Equal(["Airport ID", "Name", "ID", "Город"], table.Columns.Select(c => c.SourceName));
        Assert.Equal(1, table.RowCount);
    }

    [Fact]
    public void Without_a_header_or_names_columns_are_numbered()
    {
        var table = Scan("1,a\n2,b\n", new CsvOptions { Header = false });
        Assert.Equal(["column_1 integer", "column_2 text"], table.Columns.Select(Describe));
        Assert.Equal(2, table.RowCount);
    }

    [Fact]
    public void Given_names_replace_the_header_names()
    {
        var table = Scan("a,b\n1,2\n", new CsvOptions { Columns = ["First", "Second"] });
        Assert.Equal(["first", "second"], table.Columns.Select(c => c.Name));
        Assert.Equal(["a", "b"], table.Columns.Select(c => c.SourceName));
        Assert.Equal(1, table.RowCount);
    }

    [Fact]
    public void Given_names_must_match_the_width()
    {
        var error = Error("1,2,3\n", new CsvOptions { Header = false, Columns = ["a", "b"] });
        Assert.Equal(1, error.Line);
        Assert.Equal("line 1: columns= names 2 columns but the first record has 3", error.Message);
        Assert.Equal(1, Error("a,b,c\n", new CsvOptions { Columns = ["a", "b", "c", "d"] }).Line);
    }

    // ---- shapes -------------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    [InlineData("\n\r\n\r")]
    [InlineData("\uFEFF\r\n")]
    public void An_empty_file_is_an_error(string csv)
    {
        var error = Error(csv);
        Assert.Equal(0, error.Line);
        Assert.Equal("the file is empty", error.Message);
        Assert.Equal("the file is empty", Error(csv, AirportOptions).Message);
    }

    [Fact]
    public void A_header_alone_is_an_empty_table_of_nullable_text()
    {
        var table = Scan("id,name,when\r\n");
        Assert.Equal(0, table.RowCount);
        Assert.Equal(["id_2 text null", "name text null", "when text null"], table.Columns.Select(Describe));
        Assert.Empty(table.ReadRows(Utf8("id,name,when\r\n")));
    }

    [Theory]
    [InlineData("a,b\n1,2\n3\n", 3, "the record has 1 fields but the header has 2")]
    [InlineData("a,b\n1,2\n\"x\ny\",2,3\n", 3, "the record has 3 fields but the header has 2")]
    [InlineData("a,b\n\n\n1,2,\n", 4, "the record has 3 fields but the header has 2")]
    public void A_ragged_row_names_its_line(string csv, int line, string message)
    {
        var error = Error(csv);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"line {line}: {message}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ragged_row_without_header_is_measured_against_the_first_record()
    {
        var error = Error("1,2\n3,4,5\n", new CsvOptions { Header = false });
        Assert.StartsWith("line 2: the record has 3 fields but the first record has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_errors_from_the_tokenizer_come_through()
    {
        Assert.Equal(2, Error("a,b\n\"1,2\n3,4\n").Line);
        Assert.Equal(2, Error("a,b\n\"1\"x,2\n").Line);
    }

    [Fact]
    public void A_table_holds_at_most_1598_columns()
    {
        var widest = string.Join(',', Enumerable.Range(1, CsvTable.MaxColumns).Select(i => $"c{i}"));
        Assert.Equal(CsvTable.MaxColumns, Scan(widest + "\n").Columns.Count);

        var error = Error(widest + ",one_more\n");
        Assert.Equal(1, error.Line);
        Assert.Contains("at most 1,598", error.Message, StringComparison.Ordinal);
        Assert.Contains("more than 1,600 fields", Error(widest + ",x,y,z\n").Message, StringComparison.Ordinal);
    }

    // ---- NULLs and types ----------------------------------------------------------------------------

    [Fact]
    public void Empty_unquoted_fields_and_the_unquoted_marker_are_null_quoted_ones_are_text()
    {
        var csv = "n,t,m\n1,x,\\N\n,\"\",\"\\N\"\n";
        var options = new CsvOptions { NullMarker = "\\N" };
        Assert.Equal(["n integer null", "t text", "m text null"], Scan(csv, options).Columns.Select(Describe));
        Assert.Equal([[1L, "x", null], [null, "", "\\N"]], Rows(csv, options));
    }

    [Fact]
    public void Without_a_marker_only_empty_unquoted_fields_are_null()
    {
        var csv = "a,b\n\\N,\n";
        Assert.Equal([["\\N", null]], Rows(csv));
    }

    [Fact]
    public void Every_type_is_inferred_and_converted()
    {
        var csv = """
            int;float;bool;date;stamp;text
            1;1.5;true;2024-05-01;2024-05-01T10:20:30Z;a
            -2;3;FALSE;26.12.1986;2024-05-01 12:00:00+02:00;"b;c"
            ;;;;;
            """;
        var table = Scan(csv, new CsvOptions { Delimiter = ';' });
        Assert.Equal(
            ["int integer null", "float float null", "bool boolean null", "date date null", "stamp timestamp null", "text text null"],
            table.Columns.Select(Describe));
        var rows = table.ReadRows(Utf8(csv)).ToList();
        Assert.Equal(
            [1L, 1.5, true, new DateOnly(2024, 5, 1), new DateTimeOffset(2024, 5, 1, 10, 20, 30, TimeSpan.Zero), "a"],
            rows[0]);
        Assert.Equal(
            [-2L, 3.0, false, new DateOnly(1986, 12, 26), new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), "b;c"],
            rows[1]);
        Assert.Equal(new object?[6], rows[2]);
    }

    [Fact]
    public void The_delimiter_is_detected_when_not_given_and_kept_for_pass_2()
    {
        var csv = "a;b\n1,5;2\n";
        var table = Scan(csv);
        Assert.Equal(';', table.Dialect.Delimiter);
        // With ; between fields, 1,5 is one field: a number with a decimal comma (detected for ;-separated files).
        Assert.Equal([[1.5, 2L]], table.ReadRows(Utf8(csv)).ToList());
    }

    [Fact]
    public void Pass_2_notices_a_file_that_changed()
    {
        var table = Scan("a\n1\n2\n");
        var error = Assert.Throws<CsvFormatException>(() => table.ReadRows(Utf8("a\n1\nx\n")).ToList());
        Assert.Equal(3, error.Line);
        Assert.Throws<CsvFormatException>(() => table.ReadRows(Utf8("a\n1\n\n2,3\n")).ToList());
    }
}
