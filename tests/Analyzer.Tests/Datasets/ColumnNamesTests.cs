using System.Text;
using Analyzer.Datasets.Csv;

namespace Analyzer.Tests.Datasets;

/// <summary>Header cells and dataset names turned into safe identifiers.</summary>
public sealed class ColumnNamesTests
{
    private static string[] Normalise(params string[] raw) => ColumnNames.Normalise(raw);

    [Theory]
    [InlineData("Airport ID", "airport_id")]
    [InlineData("  Latitude (deg) ", "latitude_deg")]
    [InlineData("IATA/FAA", "iata_faa")]
    [InlineData("__a--b__", "a_b")]
    [InlineData("naïve café", "na_ve_caf")]
    [InlineData("CamelCase", "camelcase")]
    [InlineData("1st place", "c_1st_place")]
    [InlineData("2024", "c_2024")]
    [InlineData("tz\tname\r\n", "tz_name")]
    public void A_name_becomes_lower_case_ascii_with_single_underscores(string raw, string expected)
    {
        Assert.Equal([expected], Normalise(raw));
    }

    [Fact]
    public void Names_without_a_usable_character_are_named_by_position()
    {
        Assert.Equal(["column_1", "name", "column_3", "column_4"], Normalise("Город", "name", "", "!!!"));
    }

    [Fact]
    public void Duplicates_get_the_first_free_suffix()
    {
        Assert.Equal(["a", "a_2", "a_3", "b"], Normalise("a", "A", "a ", "b"));
        Assert.Equal(["a", "a_3", "a_2"], Normalise("a", "a", "a_2"));
        Assert.Equal(["column_1", "column_2", "column_1_2"], Normalise("Город", "Улица", "column_1"));
    }

    [Fact]
    public void The_tables_own_columns_are_never_taken()
    {
        Assert.Equal(["id_2", "deleted_at_2", "name", "id_3"], Normalise("ID", "Deleted At", "name", "id"));
    }

    [Fact]
    public void Long_names_are_cut_to_63_bytes_and_stay_distinct()
    {
        var longName = new string('x', 100) + " " + new string('y', 100);
        var names = Normalise(longName, longName, longName, "9" + longName);
        Assert.All(names, n => Assert.True(Encoding.UTF8.GetByteCount(n) <= 63, n));
        Assert.Equal(new string('x', 63), names[0]);
        Assert.Equal(new string('x', 61) + "_2", names[1]);
        Assert.Equal(new string('x', 61) + "_3", names[2]);
        Assert.Equal("c_9" + new string('x', 60), names[3]);
        Assert.Equal(4, names.Distinct().Count());
    }

    [Fact]
    public void A_cut_does_not_leave_a_trailing_underscore()
    {
        var name = new string('a', 62) + " b";
        Assert.Equal([new string('a', 62)], Normalise(name));
    }

    [Fact]
    public void Many_duplicates_still_fit()
    {
        var names = Normalise([.. Enumerable.Repeat(new string('z', 200), 150)]);
        Assert.Equal(150, names.Distinct().Count());
        Assert.All(names, n => Assert.True(n.Length <= 63));
        Assert.EndsWith("_150", names[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_result_is_a_safe_identifier()
    {
        string[] raw = ["Город", "Airport ID", "id", "", "1", "😀 smile", "a\"b", "x;drop table y", new string('q', 300)];
        foreach (var name in Normalise(raw))
        {
            Assert.Matches("^[a-z][a-z0-9_]{0,62}$", name);
            Assert.False(name.EndsWith('_'), name);
            Assert.DoesNotContain("__", name, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Airports", "airports")]
    [InlineData("OpenFlights airports 2024", "openflights_airports_2024")]
    [InlineData("2024 airports", "t_2024_airports")]
    [InlineData("Город", "dataset")]
    [InlineData("", "dataset")]
    public void A_table_name_follows_the_same_rules(string raw, string expected)
    {
        Assert.Equal(expected, ColumnNames.NormaliseTableName(raw));
    }

    [Theory]
    [InlineData("airports.dat", "airports")]
    [InlineData("C:\\fakepath\\My Airports.v2.csv", "my_airports_v2")]
    [InlineData("/tmp/upload/cities.csv", "cities")]
    [InlineData(".hidden", "hidden")]
    [InlineData("noextension", "noextension")]
    public void A_table_name_from_a_file_name_drops_the_folder_and_the_extension(string fileName, string expected)
    {
        Assert.Equal(expected, ColumnNames.TableNameFromFileName(fileName));
    }
}
