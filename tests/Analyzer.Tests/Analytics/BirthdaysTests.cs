using Analyzer.Analytics;
using Analyzer.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Analytics;

/// <summary>Section 4: presents by month, by hand and against <see cref="Reference"/>.</summary>
public sealed class BirthdaysTests
{
    /// <summary>What the store hands to <see cref="Birthdays.PresentsByMonth"/>: each citizen's id, birth date and relatives.</summary>
    private static List<Kin> Rows(IReadOnlyList<(int Id, DateOnly BirthDate, int[] Relatives)> citizens) =>
        [.. citizens.Select(c => new Kin(c.Id, c.BirthDate, c.Relatives))];

    private static Dictionary<string, List<(int CitizenId, int Presents)>> Production(IReadOnlyList<(int Id, DateOnly BirthDate, int[] Relatives)> citizens) =>
        Birthdays.PresentsByMonth(Rows(citizens))
            .ToDictionary(pair => pair.Key, pair => pair.Value.Select(b => (b.CitizenId, b.Presents)).ToList());

    /// <summary>Both implementations give exactly <paramref name="expected"/>: twelve keys "1".."12", the listed months as given, the rest empty.</summary>
    private static void AssertPresents(
        IReadOnlyList<(int Id, DateOnly BirthDate, int[] Relatives)> citizens,
        Dictionary<string, (int CitizenId, int Presents)[]> expected)
    {
        var full = Reference.MonthKeys.ToDictionary(m => m, m => expected.TryGetValue(m, out var buyers) ? buyers.ToList() : []);
        AssertSame(full, Production(citizens), "production");
        AssertSame(full, Reference.Birthdays(citizens), "reference");
    }

    private static void AssertSame(
        Dictionary<string, List<(int CitizenId, int Presents)>> expected,
        Dictionary<string, List<(int CitizenId, int Presents)>> actual,
        string who)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (month, buyers) in expected)
        {
            Assert.True(buyers.SequenceEqual(actual[month]),
                $"{who}, month {month}: expected [{string.Join(", ", buyers)}], got [{string.Join(", ", actual[month])}]");
        }
    }

    [Fact]
    public void Contract_example()
    {
        // 1 and 2 are brothers born 26.12.1986 and 01.04.1997; 3 has no relatives.
        (int, DateOnly, int[])[] citizens =
        [
            (1, new DateOnly(1986, 12, 26), [2]),
            (2, new DateOnly(1997, 4, 1), [1]),
            (3, new DateOnly(1986, 11, 23), []),
        ];
        // 1 buys for 2 (April), 2 buys for 1 (December).
        AssertPresents(citizens, new() { ["4"] = [(1, 1)], ["12"] = [(2, 1)] });
    }

    [Fact]
    public void All_twelve_keys_are_present_even_with_no_citizens()
    {
        var result = Birthdays.PresentsByMonth([]);
        Assert.Equal(12, result.Count);
        Assert.Equal(Reference.MonthKeys.Order(StringComparer.Ordinal), result.Keys.Order(StringComparer.Ordinal));
        Assert.All(result.Values, Assert.Empty);
        Assert.Equal(12, Reference.Birthdays([]).Count);
    }

    [Fact]
    public void Self_relative_buys_itself_a_present()
    {
        (int, DateOnly, int[])[] citizens = [(7, new DateOnly(1990, 3, 15), [7])];
        AssertPresents(citizens, new() { ["3"] = [(7, 1)] });
    }

    [Fact]
    public void Self_relative_and_a_relative_in_the_same_month()
    {
        (int, DateOnly, int[])[] citizens =
        [
            (1, new DateOnly(1990, 3, 15), [1, 2]),
            (2, new DateOnly(1960, 3, 1), [1]),
        ];
        // 1 buys for itself and for 2 (both March); 2 buys for 1 (March).
        AssertPresents(citizens, new() { ["3"] = [(1, 2), (2, 1)] });
    }

    [Fact]
    public void Two_relatives_born_in_the_same_month_are_two_presents()
    {
        (int, DateOnly, int[])[] citizens =
        [
            (10, new DateOnly(1960, 1, 5), [20, 30]),
            (20, new DateOnly(1990, 6, 1), [10]),
            (30, new DateOnly(1992, 6, 30), [10]),
        ];
        // 10 buys two presents in June; 20 and 30 each buy one in January, in citizen_id order.
        AssertPresents(citizens, new() { ["6"] = [(10, 2)], ["1"] = [(20, 1), (30, 1)] });
    }

    [Fact]
    public void Buyers_are_in_citizen_id_order_whatever_the_input_order()
    {
        (int, DateOnly, int[])[] citizens =
        [
            (300, new DateOnly(1980, 9, 9), [5]),
            (5, new DateOnly(1981, 9, 10), [300, 40]),
            (40, new DateOnly(1982, 9, 11), [5]),
        ];
        // September: 5 buys for 300 and 40 (2); 40 buys for 5; 300 buys for 5.
        AssertPresents(citizens, new() { ["9"] = [(5, 2), (40, 1), (300, 1)] });
    }

    [Fact]
    public void Citizen_ids_at_the_limits()
    {
        (int, DateOnly, int[])[] citizens =
        [
            (0, new DateOnly(2000, 2, 29), [int.MaxValue]),
            (int.MaxValue, new DateOnly(2000, 12, 31), [0]),
        ];
        AssertPresents(citizens, new() { ["12"] = [(0, 1)], ["2"] = [(int.MaxValue, 1)] });
    }

    /// <summary>
    /// Random imports as the contract allows them: distinct ids, symmetric relations (self-relations
    /// included), birth dates over a century.
    /// </summary>
    private static Gen<(int Id, DateOnly BirthDate, int[] Relatives)[]> CitizensGen() =>
        from ids in Gen.ArrayOf(Gen.OneOf(Gen.Choose(0, 30), Gen.Choose(0, int.MaxValue)))
        let distinct = ids.Distinct().ToArray()
        from days in Gen.ArrayOf(Gen.Choose(0, 100 * 366), distinct.Length)
        from pairs in distinct.Length == 0
            ? Gen.Constant(Array.Empty<(int, int)>())
            : Gen.ArrayOf(Gen.Zip(Gen.Choose(0, distinct.Length - 1), Gen.Choose(0, distinct.Length - 1), (a, b) => (a, b)))
        select Build(distinct, days, pairs);

    private static (int Id, DateOnly BirthDate, int[] Relatives)[] Build(int[] ids, int[] days, (int, int)[] pairs)
    {
        var relatives = ids.Select(_ => new SortedSet<int>()).ToArray();
        foreach (var (a, b) in pairs)
        {
            relatives[a].Add(ids[b]);
            relatives[b].Add(ids[a]);
        }
        return [.. ids.Select((id, i) => (id, new DateOnly(1926, 1, 1).AddDays(days[i]), relatives[i].ToArray()))];
    }

    [Fact]
    public void PresentsByMonth_equals_the_reference_for_random_imports()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(CitizensGen()), citizens =>
        {
            AssertSame(Reference.Birthdays(citizens), Production(citizens), "production vs reference");
            return true;
        }));
    }

    [Fact]
    public void Total_presents_equal_the_number_of_relative_entries()
    {
        // Every listed relative is one present in exactly one month.
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(CitizensGen()), citizens =>
        {
            var total = Production(citizens).Values.SelectMany(b => b).Sum(b => b.Presents);
            Assert.Equal(citizens.Sum(c => c.Relatives.Length), total);
            return true;
        }));
    }
}
