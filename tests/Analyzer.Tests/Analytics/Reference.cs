using System.Globalization;

namespace Analyzer.Tests.Analytics;

/// <summary>
/// A deliberately plain reference for the analytics of sections 4 and 5, written from the contract and
/// not from the production code: other tests compare the service's answers with it.
/// </summary>
public static class Reference
{
    /// <summary>The twelve month keys of section 4, "1" to "12".</summary>
    public static IReadOnlyList<string> MonthKeys { get; } =
        [.. Enumerable.Range(1, 12).Select(m => m.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// Section 4: month "1".."12" → buyers, in citizen_id order, with the number of their relatives born
    /// in that month. Every citizen_id in a relatives list must be one of the citizens.
    /// </summary>
    public static Dictionary<string, List<(int CitizenId, int Presents)>> Birthdays(
        IReadOnlyList<(int Id, DateOnly BirthDate, int[] Relatives)> citizens)
    {
        var result = new Dictionary<string, List<(int CitizenId, int Presents)>>();
        var buyers = citizens.OrderBy(c => c.Id).ToList();
        for (var month = 1; month <= 12; month++)
        {
            var list = new List<(int CitizenId, int Presents)>();
            foreach (var buyer in buyers)
            {
                var presents = 0;
                foreach (var relativeId in buyer.Relatives)
                {
                    var found = false;
                    foreach (var other in citizens)
                    {
                        if (other.Id != relativeId)
                        {
                            continue;
                        }
                        found = true;
                        if (other.BirthDate.Month == month)
                        {
                            presents++;
                        }
                    }
                    if (!found)
                    {
                        throw new ArgumentException($"citizen {buyer.Id} lists {relativeId}, who is not among the citizens", nameof(citizens));
                    }
                }
                if (presents > 0)
                {
                    list.Add((buyer.Id, presents));
                }
            }
            result[month.ToString(CultureInfo.InvariantCulture)] = list;
        }
        return result;
    }

    /// <summary>Full years on <paramref name="today"/>: the year difference, less one if this year's birthday (month, day) is still to come.</summary>
    public static int Age(DateOnly birthDate, DateOnly today)
    {
        var age = today.Year - birthDate.Year;
        var birthdayToCome = today.Month < birthDate.Month || (today.Month == birthDate.Month && today.Day < birthDate.Day);
        return birthdayToCome ? age - 1 : age;
    }

    /// <summary>
    /// numpy.percentile (linear) of <paramref name="values"/> in any order: sort, h = (n-1)·q/100,
    /// lower·(1-frac) + upper·frac in decimal, rounded to 2 places, halves away from zero.
    /// </summary>
    public static decimal Percentile(IEnumerable<int> values, int q)
    {
        var sorted = values.ToList();
        sorted.Sort();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }
        var h = (sorted.Count - 1) * (decimal)q / 100m;
        var lowerIndex = (int)Math.Floor(h);
        var upperIndex = Math.Min(lowerIndex + 1, sorted.Count - 1);
        var frac = h - lowerIndex;
        decimal lower = sorted[lowerIndex];
        decimal upper = sorted[upperIndex];
        var value = (lower * (1 - frac)) + (upper * frac);
        return Math.Round(value, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>Section 5: one entry per town, towns in ordinal order, percentiles 50, 75 and 99 of the ages at <paramref name="today"/>.</summary>
    public static List<(string Town, decimal P50, decimal P75, decimal P99)> Percentiles(
        IReadOnlyList<(string Town, DateOnly BirthDate)> citizens, DateOnly today)
    {
        var towns = new List<string>();
        foreach (var citizen in citizens)
        {
            if (!towns.Contains(citizen.Town, StringComparer.Ordinal))
            {
                towns.Add(citizen.Town);
            }
        }
        towns.Sort(StringComparer.Ordinal);

        var result = new List<(string Town, decimal P50, decimal P75, decimal P99)>();
        foreach (var town in towns)
        {
            var ages = new List<int>();
            foreach (var citizen in citizens)
            {
                if (string.Equals(citizen.Town, town, StringComparison.Ordinal))
                {
                    ages.Add(Age(citizen.BirthDate, today));
                }
            }
            result.Add((town, Percentile(ages, 50), Percentile(ages, 75), Percentile(ages, 99)));
        }
        return result;
    }

    /// <summary>A citizen as the courses and demand references read it.</summary>
    public sealed record Person(int Id, string Town, DateOnly BirthDate, string? Channel, int[] Relatives, int[] Friends);

    /// <summary>The people a citizen buys a course for: everyone among its relatives and friends, once.</summary>
    public static List<int> Recipients(Person person)
    {
        var recipients = new List<int>();
        foreach (var id in person.Relatives.Concat(person.Friends))
        {
            if (!recipients.Contains(id))
            {
                recipients.Add(id);
            }
        }
        return recipients;
    }

    /// <summary>The channels of an import as keys: "" for no channel, in ordinal order.</summary>
    private static List<string> ChannelKeys(IReadOnlyList<Person> people)
    {
        var keys = people.Select(p => p.Channel ?? "").Distinct().ToList();
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>Courses by channel: channel key → buyers in citizen_id order with their number of recipients.</summary>
    public static Dictionary<string, List<(int CitizenId, int Courses)>> Courses(IReadOnlyList<Person> people)
    {
        var result = new Dictionary<string, List<(int CitizenId, int Courses)>>();
        foreach (var key in ChannelKeys(people))
        {
            result[key] = [.. people
                .Where(p => (p.Channel ?? "") == key && Recipients(p).Count > 0)
                .OrderBy(p => p.Id)
                .Select(p => (p.Id, Recipients(p).Count))];
        }
        return result;
    }

    /// <summary>Courses by channel and month of the recipient's birthday: channel key → "1".."12" → buyers.</summary>
    public static Dictionary<string, Dictionary<string, List<(int CitizenId, int Courses)>>> CoursesByMonth(IReadOnlyList<Person> people)
    {
        var result = new Dictionary<string, Dictionary<string, List<(int CitizenId, int Courses)>>>();
        foreach (var key in ChannelKeys(people))
        {
            var months = new Dictionary<string, List<(int CitizenId, int Courses)>>();
            for (var month = 1; month <= 12; month++)
            {
                var list = new List<(int CitizenId, int Courses)>();
                foreach (var buyer in people.Where(p => (p.Channel ?? "") == key).OrderBy(p => p.Id))
                {
                    var courses = Recipients(buyer).Count(id => people.Single(p => p.Id == id).BirthDate.Month == month);
                    if (courses > 0)
                    {
                        list.Add((buyer.Id, courses));
                    }
                }
                months[month.ToString(CultureInfo.InvariantCulture)] = list;
            }
            result[key] = months;
        }
        return result;
    }

    /// <summary>
    /// Demand: every combination of the values of the keys in <paramref name="by"/> (nested in that order: towns and
    /// channels sorted ordinally with no channel first, age groups as given), kept when a citizen falls in it.
    /// Groups are (From, To) with To null for no upper bound; labels "a-b" or "a-".
    /// </summary>
    public static List<(string? Town, string? AgeGroup, string? Channel, int Citizens, long Courses)> Demand(
        IReadOnlyList<Person> people, IReadOnlyList<string> by, IReadOnlyList<(int From, int? To)> groups, DateOnly today)
    {
        var towns = people.Select(p => p.Town).Distinct().Order(StringComparer.Ordinal).Select(t => (object?)t).ToList();
        var channels = people.Select(p => p.Channel).Distinct().Order(StringComparer.Ordinal).Select(c => (object?)c).ToList();
        var groupIndexes = Enumerable.Range(0, groups.Count).Select(i => (object?)i).ToList();
        IEnumerable<Dictionary<string, object?>> combinations = [new Dictionary<string, object?>()];
        foreach (var key in by)
        {
            var values = key switch { "town" => towns, "age_group" => groupIndexes, _ => channels };
            combinations = combinations.SelectMany(c => values.Select(v => new Dictionary<string, object?>(c) { [key] = v })).ToList();
        }
        var rows = new List<(string? Town, string? AgeGroup, string? Channel, int Citizens, long Courses)>();
        foreach (var combination in combinations)
        {
            var members = people.Where(p =>
                (!combination.TryGetValue("town", out var town) || (string?)town == p.Town)
                && (!combination.TryGetValue("channel", out var channel) || (string?)channel == p.Channel)
                && (!combination.TryGetValue("age_group", out var group) || InGroup(groups[(int)group!], Age(p.BirthDate, today)))).ToList();
            if (members.Count == 0)
            {
                continue;
            }
            string? label = null;
            if (combination.TryGetValue("age_group", out var index))
            {
                var (from, to) = groups[(int)index!];
                label = to is null ? $"{from}-" : $"{from}-{to}";
            }
            rows.Add(((string?)combination.GetValueOrDefault("town"), label, (string?)combination.GetValueOrDefault("channel"),
                members.Count, members.Sum(m => (long)Recipients(m).Count)));
        }
        return rows;
    }

    private static bool InGroup((int From, int? To) group, int age) => age >= group.From && (group.To is null || age <= group.To);
}
