using Analyzer.Storage;

namespace Analyzer.Tests.Storage;

/// <summary>SQLite's dates: YYYY-MM-DD text as the service writes it, read back digit by digit.</summary>
public sealed class StoredDateTests
{
    [Fact]
    public void Reads_back_every_date_the_service_writes()
    {
        var dates = new[] { DateOnly.MinValue, DateOnly.MaxValue, new DateOnly(999, 9, 9), new DateOnly(2020, 2, 29) }
            .Concat(Enumerable.Range(0, 40_000).Select(day => new DateOnly(1920, 1, 1).AddDays(day)));
        foreach (var date in dates)
        {
            Assert.Equal(date, SqlDialect.ParseStoredDate((string)SqlDialect.Sqlite.ToParameter(date)));
        }
    }

    [Theory]
    [InlineData("2020-2-3", 2020, 2, 3)]
    public void Other_forms_go_to_the_culture_invariant_parser(string text, int year, int month, int day) =>
        Assert.Equal(new DateOnly(year, month, day), SqlDialect.ParseStoredDate(text));

    [Theory]
    [InlineData("2021-02-29")]
    [InlineData("2020-13-01")]
    [InlineData("0000-01-01")]
    public void Impossible_dates_are_refused_as_the_parser_refuses_them(string text) =>
        Assert.Throws<FormatException>(() => SqlDialect.ParseStoredDate(text));
}
