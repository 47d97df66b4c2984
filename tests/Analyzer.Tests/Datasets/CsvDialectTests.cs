using System.Text;
using Analyzer.Datasets.Csv;
using static Analyzer.Tests.Datasets.CsvTestStreams;

namespace Analyzer.Tests.Datasets;

/// <summary>Delimiter detection and the <c>delimiter=</c> option.</summary>
public sealed class CsvDialectTests
{
    private static char Detect(string csv) => CsvDialect.DetectDelimiter(Utf8(csv));

    [Theory]
    [InlineData("a,b,c\n1,2,3\n", ',')]
    [InlineData("a;b;c\n1;2;3\n", ';')]
    [InlineData("a\tb\tc\n1\t2\t3\n", '\t')]
    [InlineData("a|b|c\n1|2|3\n", '|')]
    public void A_plain_file_gets_its_delimiter(string csv, char expected)
    {
        Assert.Equal(expected, Detect(csv));
    }

    [Fact]
    public void Decimal_commas_in_a_semicolon_file_do_not_win()
    {
        Assert.Equal(';', Detect("name;price;weight\nTea;1,50;0,25\nCoffee;12,00;1,5\n"));
    }

    [Fact]
    public void Delimiters_inside_quotes_are_not_counted()
    {
        Assert.Equal(';', Detect("name;note\n\"a,b,c\";\"x,y\"\n\"d,e\";\"f,g,h,i\"\n"));
        Assert.Equal(',', Detect("name,note\n\"a;b;c\",\"x\ny;z\"\n\"d;e\",f\n"));
    }

    [Fact]
    public void The_candidate_with_the_same_count_on_every_line_wins_over_a_more_frequent_one()
    {
        Assert.Equal(',', Detect("a,b\nx|y|z|w,1\np|q,2\nr,3\n"));
    }

    [Fact]
    public void A_candidate_missing_from_the_first_line_is_out()
    {
        Assert.Equal('\t', Detect("a\tb\n1,5\t2,5\n"));
    }

    [Fact]
    public void Nothing_to_go_on_means_a_comma()
    {
        Assert.Equal(',', Detect(""));
        Assert.Equal(',', Detect("single column\nvalue\n"));
    }

    [Fact]
    public void Airports_are_comma_separated()
    {
        using var file = File.OpenRead(TestDataPath("airports.dat"));
        Assert.Equal(',', CsvDialect.DetectDelimiter(file));
        Assert.Equal(0, file.Position);
    }

    [Fact]
    public void Detection_puts_the_stream_back_where_it_was()
    {
        var stream = Utf8("skip;a;b\n1;2\n");
        stream.Position = 5;
        Assert.Equal(';', CsvDialect.DetectDelimiter(stream));
        Assert.Equal(5, stream.Position);
    }

    [Fact]
    public void A_record_cut_off_by_the_sample_end_is_ignored()
    {
        // Both delimiters split every complete line once (a tie: ',' wins); the cut "4;5" has no comma yet.
        var sample = Encoding.UTF8.GetBytes("a;b,c\n1;2,3\n4;5");
        Assert.Equal(',', CsvDialect.DetectDelimiter(sample, wholeFile: false));
        Assert.Equal(';', CsvDialect.DetectDelimiter(sample, wholeFile: true));
    }

    [Theory]
    [InlineData(",", ',')]
    [InlineData(";", ';')]
    [InlineData("|", '|')]
    [InlineData("\t", '\t')]
    [InlineData("\\t", '\t')]
    [InlineData("tab", '\t')]
    [InlineData("semicolon", ';')]
    public void The_delimiter_option_accepts_characters_and_names(string text, char expected)
    {
        Assert.True(CsvDialect.TryParseDelimiter(text, out var delimiter));
        Assert.Equal(expected, delimiter);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(",,")]
    public void The_delimiter_option_rejects_anything_else(string? text)
    {
        Assert.False(CsvDialect.TryParseDelimiter(text, out _));
    }
}
