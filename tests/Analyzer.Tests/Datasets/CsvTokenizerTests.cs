using System.Text;
using Analyzer.Datasets.Csv;
using static Analyzer.Tests.Datasets.CsvTestStreams;

namespace Analyzer.Tests.Datasets;

/// <summary>The RFC 4180 reader alone: fields, quoting, line endings, line numbers and each format error.</summary>
public sealed class CsvTokenizerTests
{
    // ---- helpers -------------------------------------------------------------------------------

    /// <summary>Records as (line, fields), a quoted field shown in brackets: <c>[a,b]</c>.</summary>
    private static List<(int Line, string[] Fields)> ReadBytes(byte[] bytes, char delimiter = ',', int chunk = int.MaxValue)
    {
        var tokenizer = CsvTokenizer.Open(Trickle(bytes, chunk), new CsvDialect(delimiter));
        var records = new List<(int, string[])>();
        while (tokenizer.TryReadRecord(out var record))
        {
            records.Add((record.Line, record.ToArray().Select(f => f.WasQuoted ? $"[{f.Value}]" : f.Value).ToArray()));
        }
        return records;
    }

    /// <summary><see cref="ReadBytes(byte[], char, int)"/> through <see cref="CsvTokenizer.ReadRecordAsync"/>, each read yielding.</summary>
    private static List<(int Line, string[] Fields)> ReadAsynchronously(byte[] bytes, char delimiter = ',', int chunk = int.MaxValue) =>
        Task.Run(async () =>
        {
            var tokenizer = CsvTokenizer.Open(TrickleAsync(bytes, chunk), new CsvDialect(delimiter));
            var records = new List<(int, string[])>();
            while (await tokenizer.ReadRecordAsync())
            {
                var record = tokenizer.Current;
                records.Add((record.Line, record.ToArray().Select(f => f.WasQuoted ? $"[{f.Value}]" : f.Value).ToArray()));
            }
            return records;
        }).GetAwaiter().GetResult();

    /// <summary>
    /// Reads the text whole and again one and three bytes per read, synchronously and asynchronously; all must agree.
    /// </summary>
    private static List<(int Line, string[] Fields)> Read(string csv, char delimiter = ',')
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var whole = ReadBytes(bytes, delimiter);
        foreach (var chunk in new[] { 1, 3 })
        {
            foreach (var trickled in new[] { ReadBytes(bytes, delimiter, chunk), ReadAsynchronously(bytes, delimiter, chunk) })
            {
                Assert.Equal(whole.Select(r => r.Line), trickled.Select(r => r.Line));
                Assert.Equal(whole.Select(r => r.Fields), trickled.Select(r => r.Fields));
            }
        }
        return whole;
    }

    private static string[][] Fields(string csv, char delimiter = ',') => [.. Read(csv, delimiter).Select(r => r.Fields)];

    private static CsvFormatException Error(byte[] bytes)
    {
        var whole = Assert.Throws<CsvFormatException>(() => ReadBytes(bytes));
        var trickled = Assert.Throws<CsvFormatException>(() => ReadBytes(bytes, chunk: 1));
        Assert.Equal(whole.Message, trickled.Message);
        var asynchronous = Assert.Throws<CsvFormatException>(() => ReadAsynchronously(bytes, chunk: 1));
        Assert.Equal(whole.Message, asynchronous.Message);
        return whole;
    }

    private static CsvFormatException Error(string csv) => Error(Encoding.UTF8.GetBytes(csv));

    // ---- fields and quoting --------------------------------------------------------------------

    [Fact]
    public void Plain_fields_are_split_at_the_delimiter()
    {
        Assert.Equal([["a", "b", "c"], ["1", "2", "3"]], Fields("a,b,c\n1,2,3\n"));
    }

    [Fact]
    public void Quoted_fields_lose_their_quotes_and_keep_delimiters_and_spaces()
    {
        Assert.Equal([["[a,b]", "[ c ]", "d"]], Fields("\"a,b\",\" c \",d"));
    }

    [Fact]
    public void Doubled_quotes_inside_a_quoted_field_are_one_quote()
    {
        Assert.Equal([["[Magdeburg \"City\" Airport]", "[\"]", "[\"\"]"]], Fields("\"Magdeburg \"\"City\"\" Airport\",\"\"\"\",\"\"\"\"\"\""));
    }

    [Fact]
    public void A_quote_inside_an_unquoted_field_is_an_ordinary_character()
    {
        Assert.Equal([["5'10\"", "a\"b\""]], Fields("5'10\",a\"b\""));
    }

    [Fact]
    public void Line_breaks_inside_quoted_fields_are_kept_as_written()
    {
        var records = Read("id,text\n1,\"one\r\ntwo\nthree\rfour\"\n2,x\n");
        Assert.Equal(["1", "[one\r\ntwo\nthree\rfour]"], records[1].Fields);
        Assert.Equal([1, 2, 6], records.Select(r => r.Line));
    }

    [Fact]
    public void Empty_unquoted_and_quoted_empty_fields_differ()
    {
        Assert.Equal([["", "[]", ""], ["", ""]], Fields(",\"\",\n,"));
    }

    [Fact]
    public void A_single_empty_quoted_field_is_a_record()
    {
        Assert.Equal([["[]"]], Fields("\"\"\n"));
    }

    [Theory]
    [InlineData(',')]
    [InlineData(';')]
    [InlineData('\t')]
    [InlineData('|')]
    public void Each_delimiter_splits_and_the_others_are_text(char delimiter)
    {
        var others = string.Concat(CsvDialect.Delimiters.Where(d => d != delimiter));
        var csv = $"a{delimiter}\"b{delimiter}c\"{delimiter}{others}\n";
        Assert.Equal([["a", $"[b{delimiter}c]", others]], Fields(csv, delimiter));
    }

    [Fact]
    public void Non_ASCII_text_is_decoded()
    {
        Assert.Equal([["Москва", "[Szczecin-Goleniów \"Solidarność\"]", "😀"]], Fields("Москва,\"Szczecin-Goleniów \"\"Solidarność\"\"\",😀"));
    }

    // ---- lines -----------------------------------------------------------------------------------

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Each_line_ending_ends_a_record_and_a_trailing_one_adds_nothing(string newline)
    {
        var records = Read($"a,b{newline}c,d{newline}");
        Assert.Equal([["a", "b"], ["c", "d"]], records.Select(r => r.Fields));
        Assert.Equal([1, 2], records.Select(r => r.Line));
    }

    [Fact]
    public void The_last_record_needs_no_line_ending()
    {
        Assert.Equal([["a"], ["b", "[c]"]], Fields("a\nb,\"c\""));
    }

    [Fact]
    public void Blank_lines_are_skipped_but_counted()
    {
        var records = Read("\r\n\na\r\n\r\n\rb\n\n\n");
        Assert.Equal([["a"], ["b"]], records.Select(r => r.Fields));
        Assert.Equal([3, 6], records.Select(r => r.Line));
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_skipped()
    {
        Assert.Equal([["id", "name"]], Fields("\uFEFFid,name\n"));
        Assert.Equal([["[id]"]], Fields("\uFEFF\"id\""));
    }

    [Fact]
    public void A_byte_order_mark_elsewhere_is_text()
    {
        Assert.Equal([["a"], ["\uFEFFb"]], Fields("a\n\uFEFFb"));
    }

    [Fact]
    public void Empty_input_has_no_records()
    {
        Assert.Empty(Read(""));
        Assert.Empty(Read("\uFEFF"));
        Assert.Empty(Read("\r\n\n"));
    }

    [Fact]
    public void A_delimiter_at_the_end_of_the_file_ends_with_an_empty_field()
    {
        Assert.Equal([["a", ""]], Fields("a,"));
        Assert.Equal([["[a]", ""]], Fields("\"a\","));
    }

    // ---- buffer sizes ----------------------------------------------------------------------------

    [Fact]
    public void Fields_larger_than_the_buffer_are_read_whole()
    {
        var big = new string('x', 200_000) + "é" + new string('y', 70_000);
        var quoted = string.Concat(Enumerable.Repeat("ab\"\"", 40_000));
        var records = ReadBytes(Encoding.UTF8.GetBytes($"{big},\"{quoted}\"\nsmall,\"q\"\n"));
        Assert.Equal([big, $"[{quoted.Replace("\"\"", "\"", StringComparison.Ordinal)}]"], records[0].Fields);
        Assert.Equal(["small", "[q]"], records[1].Fields);
    }

    [Fact]
    public void A_field_above_the_configured_limit_is_an_error_not_a_bigger_buffer()
    {
        var csv = Encoding.UTF8.GetBytes("a\n\"" + string.Concat(Enumerable.Repeat("xxxxxxxxx\n", 500)));
        var tokenizer = CsvTokenizer.Open(new MemoryStream(csv), new CsvDialect(',', maxFieldBytes: 1024));
        Assert.True(tokenizer.TryReadRecord(out _));
        var error = Assert.Throws<CsvFormatException>(() => tokenizer.TryReadRecord(out _));
        Assert.Equal(2, error.Line);
        Assert.StartsWith("line 2: a field starting on this line is longer than 1,024 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_record_is_reused_and_ToArray_keeps_a_copy()
    {
        var tokenizer = CsvTokenizer.Open(Utf8("a,b\nc,d\n"), CsvDialect.Comma);
        Assert.True(tokenizer.TryReadRecord(out var first));
        var kept = first.ToValues();
        Assert.True(tokenizer.TryReadRecord(out var second));
        Assert.Equal(["a", "b"], kept);
        Assert.Equal(["c", "d"], second.ToValues());
        Assert.False(tokenizer.TryReadRecord(out _));
        Assert.False(tokenizer.TryReadRecord(out _));
    }

    // ---- errors ----------------------------------------------------------------------------------

    [Fact]
    public void Invalid_utf8_names_its_line()
    {
        var bytes = Encoding.UTF8.GetBytes("id,name\n1,ok\n2,Caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.UTF8.GetBytes("\n3,x\n")).ToArray();
        var error = Error(bytes);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("line 3: the file is not valid UTF-8 (byte E9)", error.Message, StringComparison.Ordinal);
        Assert.Contains("save it as UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_inside_a_multi_line_quoted_field_names_the_line_of_the_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("id,text\n1,\"a\r\nb\nc").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\"\n")).ToArray();
        Assert.Equal(4, Error(bytes).Line);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })]              // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]        // an encoded surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]  // above U+10FFFF
    [InlineData(new byte[] { 0xE2, 0x82 })]              // cut short at the end of the file
    public void Every_kind_of_invalid_utf8_is_rejected_not_replaced(byte[] invalid)
    {
        var bytes = Encoding.UTF8.GetBytes("a\n").Concat(invalid).ToArray();
        Assert.Equal(2, Error(bytes).Line);
    }

    [Fact]
    public void A_utf16_file_is_named_as_such()
    {
        var error = Error(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("a,b\n")).ToArray());
        Assert.Equal(1, error.Line);
        Assert.Contains("UTF-16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nul_byte_is_rejected()
    {
        Assert.Equal(2, Error("a\nb\0c\n").Line);
        Assert.Equal(3, Error("a\n\"b\nc\0\"\n").Line);
    }

    [Fact]
    public void An_unterminated_quote_names_the_line_where_it_opened()
    {
        var error = Error("id,name\n1,\"Goroka\n2,Madang\n3,Hagen\n");
        Assert.Equal(2, error.Line);
        Assert.StartsWith("line 2: a quoted field starts on this line but its closing quote is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quote_closed_by_a_doubled_quote_at_the_end_is_still_unterminated()
    {
        Assert.Equal(1, Error("\"abc\"\"").Line);
    }

    [Theory]
    [InlineData("\"ab\"c,d", 1, "'c'")]
    [InlineData("x\n\"ab\" ,d", 2, "' '")]
    [InlineData("x\n\"a\nb\"\"\"z\n", 3, "'z'")]
    public void Characters_after_a_closing_quote_are_an_error(string csv, int line, string shown)
    {
        var error = Error(csv);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"line {line}: {shown} follows the closing quote of a field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_of_1600_fields_is_read_and_1601_fields_are_an_error()
    {
        var widest = string.Join(',', Enumerable.Range(1, 1600));
        Assert.Equal(1600, Fields(widest)[0].Length);

        var error = Error($"a\n{widest},1601\n");
        Assert.Equal(2, error.Line);
        Assert.Contains("more than 1,600 fields", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_four_delimiters_are_accepted()
    {
        Assert.Throws<ArgumentException>(() => new CsvDialect(':'));
        Assert.Throws<ArgumentException>(() => new CsvDialect('"'));
    }
}
