using Analyzer.Datasets.Csv;

namespace Analyzer.Tests.Datasets;

/// <summary>Which type a column of values gets, and the values converted for loading.</summary>
public sealed class TypeInferenceTests
{
    /// <summary>The inferred type of a column; null stands for a NULL cell.</summary>
    private static (ColumnType Type, bool Nullable) Infer(params string?[] values)
    {
        var (type, nullable, _) = Infer(DecimalMark.Point, values);
        return (type, nullable);
    }

    private static (ColumnType Type, bool Nullable, bool DecimalComma) Infer(DecimalMark mark, params string?[] values)
    {
        var accumulator = new ColumnTypeAccumulator(mark);
        foreach (var value in values)
        {
            accumulator.Add(value);
        }
        return accumulator.Result;
    }

    [Theory]
    [InlineData("1,25", "1.25")]
    [InlineData("-1.234,00", "-1234.00")]
    [InlineData("1.234.567", "1234567")]
    [InlineData("12", "12")]
    [InlineData("0,5", "0.5")]
    [InlineData("1.5", null)]          // a dot between 1 and 5 digits is no thousands group
    [InlineData("1.2345,0", null)]
    [InlineData("1,", null)]
    [InlineData(",5", null)]
    [InlineData("1,2,3", null)]
    [InlineData("1 234,5", null)]
    [InlineData("abc", null)]
    public void A_number_with_a_decimal_comma_reads_as_the_invariant_form(string value, string? invariant)
    {
        Assert.Equal(invariant, TypeInference.FromDecimalComma(value));
    }

    [Theory]
    [InlineData(DecimalMark.Comma, new[] { "1,25", "1.234,00", "7" }, ColumnType.Float, true)]
    [InlineData(DecimalMark.Comma, new[] { "1.234", "5" }, ColumnType.Integer, true)]    // decimal=,: 1.234 is a thousand and more
    [InlineData(DecimalMark.Comma, new[] { "1.5" }, ColumnType.Text, false)]
    [InlineData(DecimalMark.Comma, new[] { "31.12.2024" }, ColumnType.Date, false)]       // dates as ever
    [InlineData(DecimalMark.Detect, new[] { "1,25", "2" }, ColumnType.Float, true)]
    [InlineData(DecimalMark.Detect, new[] { "1.5", "2" }, ColumnType.Float, false)]        // numbers as written win
    [InlineData(DecimalMark.Detect, new[] { "1.234", "5" }, ColumnType.Float, false)]      // no comma: not guessed as thousands
    [InlineData(DecimalMark.Detect, new[] { "1,25", "1.5" }, ColumnType.Text, false)]      // mixed: neither
    [InlineData(DecimalMark.Point, new[] { "1,25" }, ColumnType.Text, false)]
    public void A_decimal_comma_column_is_numeric_by_the_rule_of_its_mark(DecimalMark mark, string[] values, ColumnType type, bool decimalComma)
    {
        Assert.Equal((type, false, decimalComma), Infer(mark, values));
    }

    private static ColumnType TypeOf(string value) => Infer(value).Type;

    [Theory]
    [InlineData("0", ColumnType.Integer)]
    [InlineData("-0", ColumnType.Integer)]
    [InlineData("42", ColumnType.Integer)]
    [InlineData("-5282", ColumnType.Integer)]
    [InlineData("9223372036854775807", ColumnType.Integer)]
    [InlineData("-9223372036854775808", ColumnType.Integer)]
    [InlineData("9223372036854775808", ColumnType.Text)]     // beyond 64 bits: an identifier, not a float
    [InlineData("12345678901234567890", ColumnType.Text)]
    [InlineData("01", ColumnType.Text)]                      // leading zeros: a code, kept as written
    [InlineData("007", ColumnType.Text)]
    [InlineData("-01", ColumnType.Text)]
    [InlineData("+5", ColumnType.Text)]
    [InlineData(" 5", ColumnType.Text)]
    [InlineData("5 ", ColumnType.Text)]
    [InlineData("1,5", ColumnType.Text)]
    [InlineData("1_000", ColumnType.Text)]
    [InlineData("٣", ColumnType.Text)]                       // an Arabic-Indic digit is not an ASCII digit
    public void Integers(string value, ColumnType expected)
    {
        Assert.Equal(expected, TypeOf(value));
    }

    [Theory]
    [InlineData("1.0", ColumnType.Float)]
    [InlineData("-6.081689834590001", ColumnType.Float)]
    [InlineData("0.5", ColumnType.Float)]
    [InlineData(".5", ColumnType.Float)]
    [InlineData("-.5", ColumnType.Float)]
    [InlineData("5.", ColumnType.Float)]
    [InlineData("1e5", ColumnType.Float)]
    [InlineData("1E-5", ColumnType.Float)]
    [InlineData("-2.5e+10", ColumnType.Float)]
    [InlineData("1e400", ColumnType.Text)]                   // not finite as a double
    [InlineData("00.5", ColumnType.Text)]
    [InlineData(".", ColumnType.Text)]
    [InlineData("-", ColumnType.Text)]
    [InlineData("e5", ColumnType.Text)]
    [InlineData("1e", ColumnType.Text)]
    [InlineData("1.2.3", ColumnType.Text)]
    [InlineData("NaN", ColumnType.Text)]
    [InlineData("Infinity", ColumnType.Text)]
    [InlineData("-Infinity", ColumnType.Text)]
    [InlineData("0x1F", ColumnType.Text)]
    public void Floats(string value, ColumnType expected)
    {
        Assert.Equal(expected, TypeOf(value));
    }

    [Theory]
    [InlineData("true", ColumnType.Boolean)]
    [InlineData("FALSE", ColumnType.Boolean)]
    [InlineData("True", ColumnType.Boolean)]
    [InlineData("t", ColumnType.Text)]
    [InlineData("yes", ColumnType.Text)]
    [InlineData("truee", ColumnType.Text)]
    public void Booleans(string value, ColumnType expected)
    {
        Assert.Equal(expected, TypeOf(value));
    }

    [Theory]
    [InlineData("2024-05-01", ColumnType.Date)]
    [InlineData("26.12.1986", ColumnType.Date)]
    [InlineData("2024-02-29", ColumnType.Date)]
    [InlineData("29.02.2024", ColumnType.Date)]
    [InlineData("2019-02-31", ColumnType.Text)]
    [InlineData("2023-02-29", ColumnType.Text)]
    [InlineData("31.04.2024", ColumnType.Text)]
    [InlineData("2024-13-01", ColumnType.Text)]
    [InlineData("0000-01-01", ColumnType.Text)]
    [InlineData("2024-5-1", ColumnType.Text)]
    [InlineData("1.5.2024", ColumnType.Text)]
    [InlineData("2024/05/01", ColumnType.Text)]
    [InlineData("20240501", ColumnType.Integer)]
    public void Dates(string value, ColumnType expected)
    {
        Assert.Equal(expected, TypeOf(value));
    }

    [Theory]
    [InlineData("2024-05-01T10:20:30", ColumnType.Timestamp)]
    [InlineData("2024-05-01 10:20:30", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20:30Z", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20:30.5", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20:30.123456789+03:00", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20:30-0530", ColumnType.Timestamp)]
    [InlineData("2024-05-01T10:20:30+02", ColumnType.Timestamp)]
    [InlineData("2024-05-01T24:00:00", ColumnType.Text)]
    [InlineData("2024-05-01T10:60:00", ColumnType.Text)]
    [InlineData("2024-05-01T10:20:60", ColumnType.Text)]
    [InlineData("2024-05-01T10:20:30.", ColumnType.Text)]
    [InlineData("2024-05-01T10:20:30.1234567890", ColumnType.Text)]
    [InlineData("2024-05-01T10:20:30+15:00", ColumnType.Text)]
    [InlineData("2024-05-01T10:20:30 +03:00", ColumnType.Text)]
    [InlineData("2024-05-01T10", ColumnType.Text)]
    [InlineData("2024-02-30T10:20:30", ColumnType.Text)]
    [InlineData("01.05.2024 10:20:30", ColumnType.Text)]
    [InlineData("0001-01-01T00:00:00+01:00", ColumnType.Text)]   // before the first representable instant in UTC
    public void Timestamps(string value, ColumnType expected)
    {
        Assert.Equal(expected, TypeOf(value));
    }

    [Fact]
    public void A_column_takes_the_narrowest_type_all_its_values_fit()
    {
        Assert.Equal((ColumnType.Integer, false), Infer("1", "2", "-3"));
        Assert.Equal((ColumnType.Float, false), Infer("1", "2.5", "3"));
        Assert.Equal((ColumnType.Timestamp, false), Infer("2024-05-01", "2024-05-01T10:20:30"));
        Assert.Equal((ColumnType.Date, false), Infer("2024-05-01", "01.05.2024"));
        Assert.Equal((ColumnType.Text, false), Infer("01.05.2024", "2024-05-01T10:20:30"));
        Assert.Equal((ColumnType.Text, false), Infer("1", "true"));
        Assert.Equal((ColumnType.Text, false), Infer("1", "2", "x"));
        Assert.Equal((ColumnType.Text, false), Infer("1.5", "12345678901234567890"));
    }

    [Fact]
    public void Nulls_do_not_change_the_type_they_make_it_nullable()
    {
        Assert.Equal((ColumnType.Integer, true), Infer(null, "1", null, "2"));
        Assert.Equal((ColumnType.Boolean, true), Infer("true", null));
        Assert.Equal((ColumnType.Text, true), Infer(null, null));
        Assert.Equal((ColumnType.Text, true), Infer());
    }

    [Fact]
    public void An_empty_string_is_text()
    {
        Assert.Equal((ColumnType.Text, false), Infer("1", ""));
    }

    [Fact]
    public void Values_convert_to_the_clr_type_of_their_column_type()
    {
        Assert.Equal(5282L, TypeInference.Convert("5282", ColumnType.Integer));
        Assert.Equal(-6.081689834590001, TypeInference.Convert("-6.081689834590001", ColumnType.Float));
        Assert.Equal(10.0, TypeInference.Convert("10", ColumnType.Float));
        Assert.Equal(100000.0, TypeInference.Convert("1e5", ColumnType.Float));
        Assert.True(TypeInference.Convert("TRUE", ColumnType.Boolean) is true);
        Assert.Equal(new DateOnly(1986, 12, 26), TypeInference.Convert("26.12.1986", ColumnType.Date));
        Assert.Equal(new DateOnly(2024, 2, 29), TypeInference.Convert("2024-02-29", ColumnType.Date));
        Assert.Equal("01", TypeInference.Convert("01", ColumnType.Text));
    }

    [Theory]
    [InlineData("2024-05-01T10:20:30", "2024-05-01T10:20:30.0000000+00:00")]
    [InlineData("2024-05-01", "2024-05-01T00:00:00.0000000+00:00")]
    [InlineData("2024-05-01t10:20", "2024-05-01T10:20:00.0000000+00:00")]
    [InlineData("2024-05-01T10:20:30.5Z", "2024-05-01T10:20:30.5000000+00:00")]
    [InlineData("2024-05-01T10:20:30.123456789Z", "2024-05-01T10:20:30.1234567+00:00")]
    [InlineData("2024-05-01T01:20:30+03:00", "2024-04-30T22:20:30.0000000+00:00")]
    [InlineData("2024-05-01T10:20:30-0530", "2024-05-01T15:50:30.0000000+00:00")]
    public void Timestamps_convert_to_utc(string value, string expected)
    {
        var converted = Assert.IsType<DateTimeOffset>(TypeInference.Convert(value, ColumnType.Timestamp));
        Assert.Equal(TimeSpan.Zero, converted.Offset);
        Assert.Equal(expected, converted.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("1.5", ColumnType.Integer)]
    [InlineData("01", ColumnType.Integer)]
    [InlineData("x", ColumnType.Float)]
    [InlineData("yes", ColumnType.Boolean)]
    [InlineData("2019-02-31", ColumnType.Date)]
    [InlineData("26.12.1986", ColumnType.Timestamp)]
    public void A_value_of_another_type_does_not_convert(string value, ColumnType type)
    {
        Assert.False(TypeInference.TryConvert(value, type, out _));
        var error = Assert.Throws<FormatException>(() => TypeInference.Convert(value, type));
        Assert.Contains(type.ToApiName(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inferred_values_always_convert()
    {
        string[] samples =
        [
            "0", "-0", "9223372036854775807", "1.0", ".5", "1e5", "true", "False", "2024-05-01", "26.12.1986",
            "2024-05-01T10:20:30.123+03:00", "9999-12-31T23:59:59-01:00", "x", "",
        ];
        foreach (var sample in samples)
        {
            var type = TypeOf(sample);
            Assert.True(TypeInference.TryConvert(sample, type, out _), $"{sample} as {type}");
        }
    }

    [Fact]
    public void Type_names_are_the_api_names_and_parse_back()
    {
        Assert.Equal(
            ["integer", "float", "boolean", "date", "timestamp", "text"],
            Enum.GetValues<ColumnType>().Select(t => t.ToApiName()));
        foreach (var type in Enum.GetValues<ColumnType>())
        {
            Assert.True(ColumnTypes.TryParse(type.ToApiName(), out var parsed));
            Assert.Equal(type, parsed);
        }
        Assert.False(ColumnTypes.TryParse("Integer", out _));
    }
}
