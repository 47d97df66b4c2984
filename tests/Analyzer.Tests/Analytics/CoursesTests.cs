using Analyzer.Analytics;
using FsCheck;
using FsCheck.Fluent;
using P = Analyzer.Tests.Analytics.Reference.Person;

namespace Analyzer.Tests.Analytics;

/// <summary>Courses by channel (and month), by hand and against <see cref="Reference"/>.</summary>
public sealed class CoursesTests
{
    internal static Person ToProduction(P p) => new(p.Id, p.Town, p.BirthDate, p.Channel, p.Relatives, p.Friends);

    internal static List<Person> ToProduction(IEnumerable<P> people) => [.. people.OrderBy(p => p.Id).Select(ToProduction)];

    private static Dictionary<string, List<(int CitizenId, int Courses)>> Production(IReadOnlyList<P> people) =>
        Courses.ByChannel(ToProduction(people)).ToDictionary(pair => pair.Key, pair => pair.Value.Select(b => (b.CitizenId, b.Courses)).ToList());

    private static Dictionary<string, Dictionary<string, List<(int CitizenId, int Courses)>>> ProductionByMonth(IReadOnlyList<P> people) =>
        Courses.ByChannelAndMonth(ToProduction(people)).ToDictionary(
            pair => pair.Key,
            pair => pair.Value.ToDictionary(m => m.Key, m => m.Value.Select(b => (b.CitizenId, b.Courses)).ToList()));

    private static string Show(Dictionary<string, List<(int CitizenId, int Courses)>> byKey) =>
        string.Join("; ", byKey.Select(pair => $"\"{pair.Key}\": [{string.Join(", ", pair.Value)}]"));

    /// <summary>Both implementations give exactly <paramref name="expected"/>, keys in the same (ordinal) order.</summary>
    private static void AssertCourses(IReadOnlyList<P> people, Dictionary<string, List<(int CitizenId, int Courses)>> expected)
    {
        Assert.Equal(Show(expected), Show(Production(people)));
        Assert.Equal(Show(expected), Show(Reference.Courses(people)));
    }

    private static void AssertSameByMonth(
        Dictionary<string, Dictionary<string, List<(int CitizenId, int Courses)>>> expected,
        Dictionary<string, Dictionary<string, List<(int CitizenId, int Courses)>>> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (channel, months) in expected)
        {
            Assert.Equal(Reference.MonthKeys, actual[channel].Keys);
            Assert.Equal(Show(months), Show(actual[channel]));
        }
    }

    private static readonly DateOnly March = new(1990, 3, 15);

    [Fact]
    public void Someone_who_is_both_relative_and_friend_is_one_course()
    {
        P[] people =
        [
            new(1, "A", March, "instagram", [2], [2, 3]),
            new(2, "A", March, "instagram", [1], [1]),
            new(3, "A", March, "vk", [], [1]),
        ];
        AssertCourses(people, new() { ["instagram"] = [(1, 2), (2, 1)], ["vk"] = [(3, 1)] });
    }

    [Fact]
    public void A_citizen_who_lists_itself_buys_itself_one_course_even_as_relative_and_friend()
    {
        P[] people = [new(7, "A", March, "tv", [7], [7])];
        AssertCourses(people, new() { ["tv"] = [(7, 1)] });
    }

    [Fact]
    public void Citizens_without_a_channel_are_under_the_empty_key_first()
    {
        P[] people =
        [
            new(1, "A", March, null, [2], []),
            new(2, "A", March, "Ads", [1], []),
            new(3, "A", March, "ads", [], [4]),
            new(4, "A", March, null, [], [3]),
        ];
        // Ordinal order: "" < "Ads" < "ads".
        AssertCourses(people, new() { [""] = [(1, 1), (4, 1)], ["Ads"] = [(2, 1)], ["ads"] = [(3, 1)] });
        Assert.Equal(["", "Ads", "ads"], Courses.ByChannel(ToProduction(people)).Keys);
    }

    [Fact]
    public void A_channel_whose_citizens_buy_nothing_is_listed_empty_and_an_empty_import_has_no_channels()
    {
        P[] people = [new(1, "A", March, "radio", [], []), new(2, "A", March, "tv", [2], [])];
        AssertCourses(people, new() { ["radio"] = [], ["tv"] = [(2, 1)] });
        Assert.Empty(Courses.ByChannel([]));
        Assert.Empty(Courses.ByChannelAndMonth([]));
    }

    [Fact]
    public void Buyers_are_in_citizen_id_order_whatever_the_input_order()
    {
        Person[] people =
        [
            new(300, "A", March, "x", [5], []),
            new(5, "A", March, "x", [300], [40]),
            new(40, "A", March, "x", [], [5]),
        ];
        Assert.Equal([(5, 2), (40, 1), (300, 1)], Courses.ByChannel(people)["x"].Select(b => (b.CitizenId, b.Courses)));
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, new[] { 3, 7 }, 3)]   // sorted: merged
    [InlineData(new[] { 5, 3 }, new[] { 7, 3 }, 3)]   // unsorted: a set
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 2, 3 }, 3)]
    [InlineData(new[] { 1, 2 }, new[] { 3, 4 }, 4)]
    [InlineData(new int[0], new[] { 3, 4 }, 2)]
    [InlineData(new[] { 9 }, new int[0], 1)]
    public void Count_is_the_size_of_the_union_of_relatives_and_friends(int[] relatives, int[] friends, int expected)
    {
        Assert.Equal(expected, Courses.Count(new Person(1, "A", March, null, relatives, friends)));
        Assert.Equal(expected, Courses.Count(new Person(1, "A", March, null, [.. relatives], new List<int>(friends))));
    }

    [Fact]
    public void By_month_counts_each_recipient_in_the_month_of_its_birthday_once()
    {
        P[] people =
        [
            new(1, "A", new DateOnly(1986, 12, 26), "instagram", [2], [2, 3]),
            new(2, "A", new DateOnly(1997, 4, 1), "instagram", [1], [1]),
            new(3, "B", new DateOnly(1986, 11, 23), null, [], [1, 3]),
        ];
        var result = ProductionByMonth(people);
        AssertSameByMonth(Reference.CoursesByMonth(people), result);
        Assert.Equal(["", "instagram"], result.Keys);
        // Citizen 1 buys for citizen 2 in April, one course although 2 is both relative and friend, and for citizen 3
        // in November. Citizen 2 buys for citizen 1 in December, and citizen 3 for citizen 1 and for itself.
        Assert.Equal("\"4\": [(1, 1)]; \"11\": [(1, 1)]; \"12\": [(2, 1)]",
            Show(result["instagram"].Where(m => m.Value.Count > 0).ToDictionary()));
        Assert.Equal("\"11\": [(3, 1)]; \"12\": [(3, 1)]", Show(result[""].Where(m => m.Value.Count > 0).ToDictionary()));
    }

    /// <summary>
    /// Random imports as the issue allows them: distinct ids, symmetric relatives and symmetric friends (self-relations
    /// included, the same pair often both), a channel out of a few or none, birth dates over a century.
    /// </summary>
    internal static Gen<P[]> PeopleGen() =>
        from ids in Gen.ArrayOf(Gen.OneOf(Gen.Choose(0, 30), Gen.Choose(0, int.MaxValue)))
        let distinct = ids.Distinct().ToArray()
        from days in Gen.ArrayOf(Gen.Choose(0, 100 * 366), distinct.Length)
        from towns in Gen.ArrayOf(Gen.Elements("A", "B", "Ё", "a"), distinct.Length)
        from channels in Gen.ArrayOf(Gen.Elements<string?>(null, "instagram", "tv", "TV", "null"), distinct.Length)
        from relatives in Pairs(distinct.Length)
        from friends in Gen.OneOf(Pairs(distinct.Length), Gen.Constant(relatives))
        select Build(distinct, days, towns, channels, relatives, friends);

    private static Gen<(int, int)[]> Pairs(int count) => count == 0
        ? Gen.Constant(Array.Empty<(int, int)>())
        : Gen.ArrayOf(Gen.Zip(Gen.Choose(0, count - 1), Gen.Choose(0, count - 1), (a, b) => (a, b)));

    private static P[] Build(int[] ids, int[] days, string[] towns, string?[] channels, (int, int)[] relativePairs, (int, int)[] friendPairs)
    {
        int[][] Symmetric((int, int)[] pairs)
        {
            var sets = ids.Select(_ => new SortedSet<int>()).ToArray();
            foreach (var (a, b) in pairs)
            {
                sets[a].Add(ids[b]);
                sets[b].Add(ids[a]);
            }
            return [.. sets.Select(s => s.ToArray())];
        }
        var relatives = Symmetric(relativePairs);
        var friends = Symmetric(friendPairs);
        return [.. ids.Select((id, i) => new P(id, towns[i], new DateOnly(1926, 1, 1).AddDays(days[i]), channels[i], relatives[i], friends[i]))];
    }

    [Fact]
    public void Courses_equal_the_reference_for_random_imports()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(PeopleGen()), people =>
        {
            Assert.Equal(Show(Reference.Courses(people)), Show(Production(people)));
            AssertSameByMonth(Reference.CoursesByMonth(people), ProductionByMonth(people));
            return true;
        }));
    }

    [Fact]
    public void The_months_add_up_to_the_courses_of_each_buyer()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(PeopleGen()), people =>
        {
            var byChannel = Production(people);
            var byMonth = ProductionByMonth(people);
            foreach (var (channel, buyers) in byChannel)
            {
                var summed = byMonth[channel].Values.SelectMany(b => b).GroupBy(b => b.CitizenId)
                    .Select(g => (g.Key, g.Sum(b => b.Courses))).OrderBy(b => b.Key);
                Assert.Equal(buyers, summed);
            }
            return true;
        }));
    }

    [Fact]
    public void Buyers_and_every_channel_give_the_answer_of_the_whole_import()
    {
        // What the service reads: only citizens with relatives or friends, plus the import's channels.
        static string Flat<T>(Dictionary<string, T> answer) => System.Text.Json.JsonSerializer.Serialize(answer);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(PeopleGen()), generated =>
        {
            var people = ToProduction(generated);
            var buyers = people.Where(p => p.Relatives.Count + p.Friends.Count > 0).ToList();
            var channels = people.Select(p => p.Channel).Distinct().ToList();
            Assert.Equal(Flat(Courses.ByChannel(people)), Flat(Courses.ByChannel(buyers, channels)));
            Assert.Equal(Flat(Courses.ByChannelAndMonth(people)), Flat(Courses.ByChannelAndMonth(buyers, channels)));
            return true;
        }));
    }
}
