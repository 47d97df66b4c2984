using Analyzer.Analytics;
using Analyzer.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Analytics;

/// <summary>Section 5: full years and numpy-style percentiles, by hand and against <see cref="Reference"/>.</summary>
public sealed class AgePercentilesTests
{
    private static readonly DateOnly Today = new(2026, 11, 21);

    private static readonly Config Properties = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static (decimal P50, decimal P75, decimal P99) Percentiles(params int[] ages)
    {
        var sorted = ages.Order().ToArray();
        return (AgePercentiles.Percentile(sorted, 50), AgePercentiles.Percentile(sorted, 75), AgePercentiles.Percentile(sorted, 99));
    }

    // ---- percentiles by hand -----------------------------------------------------------------------
    // numpy.percentile(a, q) with the default linear method; h = (n-1)·q/100, a[⌊h⌋] + (h-⌊h⌋)·(a[⌊h⌋+1]-a[⌊h⌋]).
    // The numpy values quoted were printed by numpy 1.24 (float64), the expected ones are the exact decimals.

    [Fact]
    public void Four_ages()
    {
        // [10, 20, 30, 40], n-1 = 3
        // q50: h = 1.5  → 20 + 0.5·10  = 25    (numpy 25.0)
        // q75: h = 2.25 → 30 + 0.25·10 = 32.5  (numpy 32.5)
        // q99: h = 2.97 → 30 + 0.97·10 = 39.7  (numpy 39.699999999999996: binary float; exact decimal is 39.70)
        Assert.Equal((25m, 32.5m, 39.7m), Percentiles(10, 20, 30, 40));
    }

    [Fact]
    public void Single_age_is_every_percentile()
    {
        // n-1 = 0 → h = 0 for every q (numpy [5.0, 5.0, 5.0])
        Assert.Equal((5m, 5m, 5m), Percentiles(5));
        Assert.Equal((0m, 0m, 0m), Percentiles(0));
    }

    [Fact]
    public void Two_ages()
    {
        // [1, 2]: h = 0.5, 0.75, 0.99 → 1.5, 1.75, 1.99 (numpy [1.5, 1.75, 1.99])
        Assert.Equal((1.5m, 1.75m, 1.99m), Percentiles(2, 1));
        // [0, 100]: 50, 75, 99 (numpy [50.0, 75.0, 99.0])
        Assert.Equal((50m, 75m, 99m), Percentiles(100, 0));
    }

    [Fact]
    public void Three_ages_unsorted_input()
    {
        // sorted [8, 11, 39], n-1 = 2
        // q50: h = 1    → 11
        // q75: h = 1.5  → 11 + 0.5·28  = 25
        // q99: h = 1.98 → 11 + 0.98·28 = 38.44   (numpy [11.0, 25.0, 38.44])
        Assert.Equal((11m, 25m, 38.44m), Percentiles(39, 11, 8));
    }

    [Fact]
    public void Five_ages()
    {
        // [30, 31, 33, 40, 59], n-1 = 4
        // q50: h = 2    → 33
        // q75: h = 3    → 40
        // q99: h = 3.96 → 40 + 0.96·19 = 58.24   (numpy [33.0, 40.0, 58.24])
        Assert.Equal((33m, 40m, 58.24m), Percentiles(30, 31, 33, 40, 59));
        // [1, 1, 1, 1, 100]: q99: 1 + 0.96·99 = 96.04 (numpy 96.03999999999999)
        Assert.Equal((1m, 1m, 96.04m), Percentiles(1, 1, 1, 1, 100));
        // [20, 20, 25, 25, 60]: q99: 25 + 0.96·35 = 58.6 (numpy [25.0, 25.0, 58.6])
        Assert.Equal((25m, 25m, 58.6m), Percentiles(20, 20, 25, 25, 60));
    }

    [Fact]
    public void Hundred_ages()
    {
        // 0..99, n-1 = 99: h = 49.5, 74.25, 98.01 → the same values (numpy [49.5, 74.25, 98.01])
        Assert.Equal((49.5m, 74.25m, 98.01m), Percentiles([.. Enumerable.Range(0, 100)]));
        // 0..100, n-1 = 100: h = 50, 75, 99 exactly
        Assert.Equal((50m, 75m, 99m), Percentiles([.. Enumerable.Range(0, 101)]));
    }

    [Fact]
    public void Percentile_of_no_ages_is_refused() =>
        Assert.ThrowsAny<ArgumentException>(() => AgePercentiles.Percentile([], 50));

    [Fact]
    public void Results_are_exact_decimals_with_at_most_two_places()
    {
        // 39.7 must be exactly 39.7m, not a binary-float neighbour, so its JSON is 39.7.
        var p99 = AgePercentiles.Percentile([10, 20, 30, 40], 99);
        Assert.Equal(39.7m, p99);
        Assert.Equal(p99, decimal.Round(p99, 2));
    }

    // ---- by town --------------------------------------------------------------------------------

    [Fact]
    public void Two_towns_in_ordinal_order()
    {
        TownBirthDate[] citizens =
        [
            new("Москва", new DateOnly(2016, 11, 21)), // 10: birthday today
            new("Керчь", new DateOnly(1987, 1, 1)),    // 39
            new("Москва", new DateOnly(2005, 11, 22)), // 20: 21 tomorrow
            new("Москва", new DateOnly(1996, 1, 1)),   // 30
            new("Керчь", new DateOnly(2015, 11, 20)),  // 11: birthday yesterday
            new("Москва", new DateOnly(1985, 12, 31)), // 40: 41 on 31.12
            new("Керчь", new DateOnly(2018, 6, 1)),    // 8
        ];

        var result = AgePercentiles.ByTown(citizens, Today);

        // Керчь [8, 11, 39] → 11, 25, 38.44; Москва [10, 20, 30, 40] → 25, 32.5, 39.7 (see above).
        // "Керчь" < "Москва" ordinally: К is U+041A, М is U+041C.
        Assert.Equal(
            [new TownAgePercentiles("Керчь", 11m, 25m, 38.44m), new TownAgePercentiles("Москва", 25m, 32.5m, 39.7m)],
            result);
        Assert.Equal(
            [("Керчь", 11m, 25m, 38.44m), ("Москва", 25m, 32.5m, 39.7m)],
            Reference.Percentiles([.. citizens.Select(c => (c.Town, c.BirthDate))], Today));
    }

    [Fact]
    public void Single_citizen_town()
    {
        var result = Assert.Single(AgePercentiles.ByTown([new TownBirthDate("Керчь", new DateOnly(1986, 11, 23))], Today));
        // 23.11.1986 → 39 on 21.11.2026 (40 in two days)
        Assert.Equal(new TownAgePercentiles("Керчь", 39m, 39m, 39m), result);
    }

    [Fact]
    public void Towns_differing_only_in_case_are_different_towns()
    {
        var result = AgePercentiles.ByTown(
            [new TownBirthDate("moscow", new DateOnly(2000, 1, 1)), new TownBirthDate("Moscow", new DateOnly(1990, 1, 1))], Today);
        Assert.Equal(["Moscow", "moscow"], result.Select(r => r.Town));
        Assert.Equal(36m, result[0].P50);
        Assert.Equal(26m, result[1].P50);
    }

    [Fact]
    public void No_citizens_no_towns() =>
        Assert.Empty(AgePercentiles.ByTown([], Today));

    // ---- full years -----------------------------------------------------------------------------

    [Theory]
    [InlineData("2000-11-21", "2026-11-21", 26)] // birthday today: the age has just increased
    [InlineData("2000-11-22", "2026-11-21", 25)] // birthday tomorrow: not yet
    [InlineData("2000-11-20", "2026-11-21", 26)] // birthday yesterday
    [InlineData("2000-12-01", "2026-11-21", 25)] // later month
    [InlineData("2000-01-31", "2026-11-21", 26)] // earlier month, later day
    [InlineData("2026-11-21", "2026-11-21", 0)]  // born today
    [InlineData("2025-11-22", "2026-11-21", 0)]  // one day short of a year
    [InlineData("2025-11-21", "2026-11-21", 1)]  // exactly a year
    [InlineData("2025-12-31", "2026-01-01", 0)]  // across New Year
    [InlineData("2020-02-29", "2023-02-28", 2)]  // leapling, non-leap year: not yet on 28.02
    [InlineData("2020-02-29", "2023-03-01", 3)]  // ... ages on 01.03
    [InlineData("2020-02-29", "2024-02-28", 3)]  // leap year: not yet on 28.02
    [InlineData("2020-02-29", "2024-02-29", 4)]  // ... ages on 29.02
    [InlineData("2019-03-01", "2020-02-29", 0)]  // born 01.03, on 29.02 of the next (leap) year
    [InlineData("2019-03-01", "2020-03-01", 1)]
    [InlineData("1900-01-01", "2026-11-21", 126)]
    public void FullYears_edge_cases(string birth, string today, int expected)
    {
        var birthDate = DateOnly.ParseExact(birth, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var todayDate = DateOnly.ParseExact(today, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, AgePercentiles.FullYears(birthDate, todayDate));
        Assert.Equal(expected, Reference.Age(birthDate, todayDate));
    }

    // ---- properties against the reference --------------------------------------------------------

    private static readonly DateOnly[] SpecialTodays =
    [
        Today, new(2023, 2, 28), new(2023, 3, 1), new(2024, 2, 28), new(2024, 2, 29), new(2024, 3, 1),
        new(2026, 1, 1), new(2025, 12, 31),
    ];

    private static Gen<DateOnly> TodayGen() =>
        Gen.OneOf(
            Gen.Elements(SpecialTodays),
            Gen.Choose(0, 110 * 366).Select(d => new DateOnly(1990, 1, 1).AddDays(d)));

    /// <summary>Birth dates up to <paramref name="today"/>, often on or next to today's month and day, or on 29 February.</summary>
    private static Gen<DateOnly> BirthDateGen(DateOnly today) =>
        Gen.OneOf(
            Gen.Choose(0, 120 * 366).Select(d => today.AddDays(-d)),
            Gen.Choose(0, 120).Select(y => today.AddYears(-y)),
            Gen.Choose(1, 120).Select(y => today.AddDays(1).AddYears(-y)),
            Gen.Choose(1, 120).Select(y => today.AddDays(-1).AddYears(-y)),
            Gen.Choose(1, 30).Select(k => new DateOnly(1900 + (4 * k), 2, 29))) // 1904..2020, all leap years
        .Where(d => d <= today);

    private static readonly string[] Towns = ["Москва", "Керчь", "moscow", "Moscow", "a", "B", "é", "z", "Ё"];

    [Fact]
    public void FullYears_equals_the_reference()
    {
        var gen =
            from today in TodayGen()
            from birth in BirthDateGen(today)
            select (today, birth);
        Check.One(Properties, Prop.ForAll(Arb.From(gen), pair =>
        {
            Assert.Equal(Reference.Age(pair.birth, pair.today), AgePercentiles.FullYears(pair.birth, pair.today));
            return true;
        }));
    }

    [Fact]
    public void Percentile_equals_the_reference_for_random_ages()
    {
        var age = Gen.OneOf(Gen.Choose(0, 130), Gen.Choose(30, 33));
        var gen =
            from first in age
            from rest in Gen.ArrayOf(age)
            from q in Gen.Elements(50, 75, 99)
            select (Ages: (int[])[first, .. rest], Q: q);
        Check.One(Properties, Prop.ForAll(Arb.From(gen), input =>
        {
            var sorted = input.Ages.Order().ToArray();
            Assert.Equal(Reference.Percentile(input.Ages, input.Q), AgePercentiles.Percentile(sorted, input.Q));
            return true;
        }));
    }

    [Fact]
    public void ByTown_equals_the_reference_for_random_citizens()
    {
        var gen =
            from today in TodayGen()
            from citizens in Gen.ArrayOf(Gen.Zip(Gen.Elements(Towns), BirthDateGen(today), (town, birth) => (Town: town, BirthDate: birth)))
            select (Today: today, Citizens: citizens);
        Check.One(Properties, Prop.ForAll(Arb.From(gen), input =>
        {
            var expected = Reference.Percentiles(input.Citizens, input.Today);
            var actual = AgePercentiles.ByTown([.. input.Citizens.Select(c => new TownBirthDate(c.Town, c.BirthDate))], input.Today)
                .Select(r => (r.Town, r.P50, r.P75, r.P99))
                .ToList();
            Assert.Equal(expected, actual);
            return true;
        }));
    }
}
