using System.Text.Json;
using Analyzer.Analytics;
using Analyzer.Web;
using FsCheck;
using FsCheck.Fluent;
using P = Analyzer.Tests.Analytics.Reference.Person;

namespace Analyzer.Tests.Analytics;

/// <summary>Demand per town, age group and channel; the by= and age_groups= rules; against <see cref="Reference"/>.</summary>
public sealed class DemandTests
{
    private static readonly DateOnly Today = new(2026, 12, 1);

    private static readonly (int From, int? To)[] DefaultGroups = [(0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, null)];

    private static string Key(DemandKey key) => Demand.KeyName(key);

    private static List<(string? Town, string? AgeGroup, string? Channel, int Citizens, long Courses)> Production(
        IReadOnlyList<P> people, IReadOnlyList<DemandKey> by, IReadOnlyList<AgeGroup> groups, DateOnly today) =>
        [.. Demand.Cells(CoursesTests.ToProduction(people), by, groups, today)
            .Select(r => (r.Town, r.AgeGroup?.Label, r.Channel, r.Citizens, r.Courses))];

    private static void AssertRows(IReadOnlyList<P> people, IReadOnlyList<DemandKey> by,
        params (string? Town, string? AgeGroup, string? Channel, int Citizens, long Courses)[] expected)
    {
        Assert.Equal(expected, Production(people, by, Demand.DefaultAgeGroups, Today));
        Assert.Equal(expected, Reference.Demand(people, [.. by.Select(Key)], DefaultGroups, Today));
    }

    private static readonly P[] Example =
    [
        new(1, "Москва", new DateOnly(1986, 12, 26), "instagram", [2], [2, 3]), // 39, buys for 2 and 3
        new(2, "Москва", new DateOnly(1997, 4, 1), "instagram", [1], [1]),       // 29, buys for 1
        new(3, "Керчь", new DateOnly(1986, 11, 23), null, [], [1]),              // 40, buys for 1
        new(4, "Москва", new DateOnly(2008, 12, 1), "tv", [], []),               // 18 today, buys nothing
        new(5, "Москва", new DateOnly(2008, 12, 2), "tv", [5], []),              // 17 until tomorrow, buys for itself
    ];

    [Fact]
    public void Default_keys_give_one_row_per_non_empty_cell_in_key_order()
    {
        AssertRows(Example, Demand.DefaultBy,
            ("Керчь", "35-44", null, 1, 1),
            ("Москва", "0-17", "tv", 1, 1),
            ("Москва", "18-24", "tv", 1, 0),
            ("Москва", "25-34", "instagram", 1, 1),
            ("Москва", "35-44", "instagram", 1, 2));
    }

    [Fact]
    public void Keys_in_another_order_sort_by_that_order_with_no_channel_first()
    {
        AssertRows(Example, [DemandKey.Channel, DemandKey.Town],
            ("Керчь", null, null, 1, 1),
            ("Москва", null, "instagram", 2, 3),
            ("Москва", null, "tv", 2, 1));
    }

    [Fact]
    public void A_single_key_sums_citizens_and_courses()
    {
        AssertRows(Example, [DemandKey.Channel],
            (null, null, null, 1, 1),
            (null, null, "instagram", 2, 3),
            (null, null, "tv", 2, 1));
        AssertRows(Example, [DemandKey.Town],
            ("Керчь", null, null, 1, 1),
            ("Москва", null, null, 4, 4));
    }

    [Fact]
    public void A_citizen_in_no_age_group_is_left_out_only_when_age_group_is_a_key()
    {
        AgeGroup[] groups = [new(18, 30), new(40, 40)];
        var people = CoursesTests.ToProduction(Example);
        // 1 is 39 and 5 is 17: in no group.
        Assert.Equal(
            [("18-30", 2, 1L), ("40-40", 1, 1L)],
            Demand.Cells(people, [DemandKey.AgeGroup], groups, Today).Select(r => (r.AgeGroup!.Label, r.Citizens, r.Courses)));
        Assert.Equal(
            Reference.Demand(Example, ["age_group"], [(18, 30), (40, 40)], Today)
                .Select(r => (r.AgeGroup!, r.Citizens, r.Courses)),
            Demand.Cells(people, [DemandKey.AgeGroup], groups, Today).Select(r => (r.AgeGroup!.Label, r.Citizens, r.Courses)));
        Assert.Equal(5, Demand.Cells(people, [DemandKey.Town], groups, Today).Sum(r => r.Citizens));
    }

    [Fact]
    public void An_empty_import_has_no_rows()
    {
        Assert.Empty(Demand.Cells([], Demand.DefaultBy, Demand.DefaultAgeGroups, Today));
        Assert.Empty(Demand.Cells([], [DemandKey.Channel], Demand.DefaultAgeGroups, Today));
    }

    [Fact]
    public void Rows_are_written_with_only_the_keys_asked_for_in_that_order()
    {
        var rows = Demand.Cells(CoursesTests.ToProduction(Example), [DemandKey.Channel, DemandKey.AgeGroup], Demand.DefaultAgeGroups, Today);
        var json = JsonSerializer.Serialize(new DataEnvelope<DemandRow[]>(rows[..2]), AnalyzerJsonContext.Relaxed.DataEnvelopeDemandRowArray);
        Assert.Equal(
            """{"data":[{"channel":null,"age_group":"35-44","citizens":1,"courses":1},{"channel":"instagram","age_group":"25-34","citizens":1,"courses":1}]}""",
            json);
    }

    [Theory]
    [InlineData("town", "town")]
    [InlineData("channel,town,age_group", "channel,town,age_group")]
    [InlineData("age_group,channel", "age_group,channel")]
    public void By_takes_any_subset_in_any_order(string text, string expected)
    {
        Assert.Equal(expected, string.Join(',', Demand.ParseBy(text, out var error)!.Select(Key)));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("town,town", "lists \"town\" twice")]
    [InlineData("city", "unknown key \"city\"")]
    [InlineData("Town", "unknown key \"Town\"")]
    [InlineData("town,,channel", "not an empty one")]
    [InlineData("town,", "not an empty one")]
    [InlineData(" town", "unknown key \" town\"")]
    public void By_refuses_unknown_duplicate_and_empty_keys(string text, string message)
    {
        Assert.Null(Demand.ParseBy(text, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0-17,18-24,25-34,35-44,45-54,55-64,65-", "0-17,18-24,25-34,35-44,45-54,55-64,65-")]
    [InlineData("18-", "18-")]
    [InlineData("5-5,7-9", "5-5,7-9")]
    [InlineData("007-10", "7-10")]
    [InlineData("0-999", "0-999")]
    public void Age_groups_ascending_without_overlap_gaps_allowed(string text, string labels)
    {
        Assert.Equal(labels, string.Join(',', Demand.ParseAgeGroups(text, out var error)!.Select(g => g.Label)));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "is not a group")]
    [InlineData("18", "is not a group")]
    [InlineData("-17", "is not a group")]
    [InlineData("a-b", "is not a group")]
    [InlineData("1.5-3", "is not a group")]
    [InlineData("-1-3", "is not a group")]
    [InlineData("0-1000", "is not a group")]
    [InlineData("0-99999999999", "is not a group")]
    [InlineData("0-17,", "is not a group")]
    [InlineData("0 -17", "is not a group")]
    [InlineData("30-20", "ends before it starts")]
    [InlineData("0-17,17-24", "must not overlap")]
    [InlineData("18-24,0-17", "must be ascending")]
    [InlineData("65-,70-80", "must be the last group")]
    [InlineData("65-,66-", "must be the last group")]
    public void Age_groups_refuse_what_is_not_ascending_non_overlapping_groups(string text, string message)
    {
        Assert.Null(Demand.ParseAgeGroups(text, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Age_groups_are_at_most_a_hundred()
    {
        var hundred = string.Join(',', Enumerable.Range(0, 100).Select(i => $"{i}-{i}"));
        Assert.Equal(100, Demand.ParseAgeGroups(hundred, out _)!.Count);
        Assert.Null(Demand.ParseAgeGroups(hundred + ",100-100", out var error));
        Assert.Contains("at most 100", error, StringComparison.Ordinal);
    }

    private static readonly DemandKey[][] AllBy =
    [
        [DemandKey.Town], [DemandKey.AgeGroup], [DemandKey.Channel],
        [DemandKey.Town, DemandKey.AgeGroup], [DemandKey.AgeGroup, DemandKey.Town], [DemandKey.Channel, DemandKey.Town],
        [DemandKey.Town, DemandKey.AgeGroup, DemandKey.Channel], [DemandKey.Channel, DemandKey.AgeGroup, DemandKey.Town],
        [DemandKey.AgeGroup, DemandKey.Channel, DemandKey.Town],
    ];

    private static readonly (int From, int? To)[][] SomeGroups = [DefaultGroups, [(10, 20), (30, 40)], [(0, null)], [(50, 50), (51, null)]];

    [Fact]
    public void Demand_equals_the_reference_for_random_imports_keys_and_groups()
    {
        var gen =
            from people in CoursesTests.PeopleGen()
            from keys in Gen.Elements(AllBy)
            from groups in Gen.Elements(SomeGroups)
            from daysAfter in Gen.Choose(0, 400)
            select (people, keys, groups, today: new DateOnly(2026, 1, 1).AddDays(daysAfter));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(gen), input =>
        {
            var (people, by, groups, today) = input;
            Assert.Equal(
                Reference.Demand(people, [.. by.Select(Key)], groups, today),
                Production(people, by, [.. groups.Select(g => new AgeGroup(g.From, g.To))], today));
            return true;
        }));
    }

    [Fact]
    public void Without_age_group_every_citizen_and_course_is_counted_once()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(CoursesTests.PeopleGen()), people =>
        {
            var rows = Production(people, [DemandKey.Town, DemandKey.Channel], Demand.DefaultAgeGroups, Today);
            Assert.Equal(people.Length, rows.Sum(r => r.Citizens));
            Assert.Equal(Reference.Courses(people).Values.SelectMany(b => b).Sum(b => (long)b.Courses), rows.Sum(r => r.Courses));
            return true;
        }));
    }
}
