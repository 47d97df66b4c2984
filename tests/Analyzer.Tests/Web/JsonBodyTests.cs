using System.Buffers;
using System.Text;
using Analyzer.Imports;
using Analyzer.Web;

namespace Analyzer.Tests.Web;

/// <summary><see cref="JsonBody.Check"/> alone: which bodies a reader may look at, and where the errors are.</summary>
public sealed class JsonBodyTests
{
    private static ValidationErrors Check(byte[] body, bool expected)
    {
        var errors = new ValidationErrors();
        Assert.Equal(expected, JsonBody.Check(new ReadOnlySequence<byte>(body), errors));
        Assert.Equal(expected, errors.IsEmpty);
        return errors;
    }

    private static ValidationErrors Check(string json, bool expected) => Check(Encoding.UTF8.GetBytes(json), expected);

    [Theory]
    [InlineData("""{}""")]
    [InlineData(""" {"a": [1, "x", {"b": null}], "c": true} """)]
    [InlineData("""{"emoji \ud83d\ude00": "\ud83d\ude00 \u00e9 é"}""")]
    [InlineData("""{"citizen\u005fid": 1}""")]
    [InlineData("""[]""")]
    [InlineData("""5""")]
    public void Well_formed_text_passes(string json) => Check(json, expected: true);

    [Theory]
    [InlineData("""{"a": [1, {"b": "\ud800"}]}""", "a[1].b")]
    [InlineData("""{"a": [1, {"b": ["x", "\udfff"]}]}""", "a[1].b[1]")]
    [InlineData("""["ok", "\u0000"]""", "[1]")]
    [InlineData("""{"c\u00e9": "\u0000"}""", "cé")]
    [InlineData("""{"\ud800": 1}""", "\\ud800")]
    [InlineData("""{"a": {"\ud800": {"b": "\u0000"}}}""", "a.\\ud800.b")]
    [InlineData("""{"a": 1} x""", "$")]
    [InlineData("""{"a": 1}{}""", "$")]
    [InlineData("""{"a": """, "$")]
    [InlineData("", "$")]
    [InlineData("""{"a": 1,}""", "$")]
    [InlineData("""{"a": 1 /* no */}""", "$")]
    public void Errors_name_the_path(string json, string path)
    {
        var errors = Check(json, expected: false);
        Assert.Contains(path, errors.ToDictionary().Keys);
    }

    [Fact]
    public void Raw_bytes_that_are_not_UTF8_are_refused_in_values_and_names()
    {
        byte[] value = [.. """{"k": "a"""u8, 0xFF, .. "\"}"u8];
        Assert.Equal(["k"], Check(value, expected: false).ToDictionary().Keys);
        byte[] name = [.. "{\"k"u8, 0xC3, .. "\": 1}"u8];
        Assert.Equal(["k\uFFFD"], Check(name, expected: false).ToDictionary().Keys);
    }

    [Fact]
    public void Syntax_errors_say_line_and_column_in_words_without_reader_positions()
    {
        var message = Assert.Single(Check("{\n  \"a\": 1,\n  \"b\" 2\n}", expected: false).ToDictionary()["$"]);
        Assert.StartsWith("the body is not valid JSON: ", message, StringComparison.Ordinal);
        Assert.Contains("(line 3, column ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", message, StringComparison.Ordinal);
        Assert.DoesNotContain("isFinalBlock", Assert.Single(Check("{\"a\": [", expected: false).ToDictionary()["$"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Long_strings_with_escapes_are_checked_whole()
    {
        var ok = "{\"k\": \"" + string.Concat(Enumerable.Repeat("\\u00e9x", 2_000)) + "\"}";
        Check(ok, expected: true);
        Check(ok.Replace("\"}", "\\u0000\"}", StringComparison.Ordinal), expected: false);
    }
}
