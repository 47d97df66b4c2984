using System.Globalization;
using System.Runtime.InteropServices;

namespace Analyzer.Analytics;

public sealed record BuyerCourses(int CitizenId, int Courses);

/// <summary>
/// Courses by advertising channel: each citizen buys one course for each distinct person among its relatives
/// and friends (someone who is both counts once; a citizen who lists itself buys itself one).
/// </summary>
public static class Courses
{
    /// <summary>
    /// The key under which citizens without a channel are listed. A channel has at least one letter or digit, so the
    /// empty string can never be one (the JSON key "null" could).
    /// </summary>
    public const string NoChannelKey = "";

    /// <summary>How many courses <paramref name="person"/> buys: its distinct relatives and friends.</summary>
    public static int Count(Person person)
    {
        if (person.Friends.Count == 0)
        {
            return person.Relatives.Count; // each list is stored without duplicates
        }
        if (person.Relatives.Count == 0)
        {
            return person.Friends.Count;
        }
        if (person.Relatives is int[] relatives && person.Friends is int[] friends && IsAscending(relatives) && IsAscending(friends))
        {
            // The store hands lists over sorted: count the union by merging, without a set.
            var count = relatives.Length + friends.Length;
            for (int r = 0, f = 0; r < relatives.Length && f < friends.Length;)
            {
                if (relatives[r] < friends[f])
                {
                    r++;
                }
                else if (relatives[r] > friends[f])
                {
                    f++;
                }
                else
                {
                    count--;
                    r++;
                    f++;
                }
            }
            return count;
        }
        var recipients = new HashSet<int>(person.Relatives);
        recipients.UnionWith(person.Friends);
        return recipients.Count;
    }

    private static bool IsAscending(int[] ids)
    {
        for (var i = 1; i < ids.Length; i++)
        {
            if (ids[i - 1] >= ids[i])
            {
                return false;
            }
        }
        return true;
    }

    public static string ChannelKey(string? channel) => channel ?? NoChannelKey;

    /// <summary>
    /// One key per channel that a citizen of the import has (<see cref="NoChannelKey"/> for those without), in ordinal
    /// order; under each, the citizens of that channel who buy at least one course, by citizen_id.
    /// </summary>
    public static Dictionary<string, BuyerCourses[]> ByChannel(IReadOnlyList<Person> people) =>
        ByChannel(people, people.Select(p => p.Channel));

    /// <summary>
    /// As <see cref="ByChannel(IReadOnlyList{Person})"/> from the citizens with relatives or friends (the only buyers,
    /// and the only recipients: lists are mutual) and every channel of the import, which names the keys.
    /// </summary>
    public static Dictionary<string, BuyerCourses[]> ByChannel(IReadOnlyList<Person> people, IEnumerable<string?> channels)
    {
        var byChannel = new Dictionary<string, List<BuyerCourses>>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            byChannel.TryAdd(ChannelKey(channel), []);
        }
        foreach (var person in people)
        {
            ref var buyers = ref CollectionsMarshal.GetValueRefOrAddDefault(byChannel, ChannelKey(person.Channel), out _);
            buyers ??= [];
            if (Count(person) is > 0 and var courses)
            {
                buyers.Add(new BuyerCourses(person.CitizenId, courses));
            }
        }
        return byChannel.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .ToDictionary(pair => pair.Key, pair => InCitizenOrder(pair.Value), StringComparer.Ordinal);
    }

    /// <summary>
    /// As <see cref="ByChannel"/>, each channel split into the twelve months "1" to "12" (always all twelve) by the
    /// month of the recipient's birthday: under a month, each buyer with the number of its recipients born in it.
    /// </summary>
    public static Dictionary<string, Dictionary<string, BuyerCourses[]>> ByChannelAndMonth(IReadOnlyList<Person> people) =>
        ByChannelAndMonth(people, people.Select(p => p.Channel));

    /// <summary>As <see cref="ByChannelAndMonth(IReadOnlyList{Person})"/>, from the buyers and every channel (see <see cref="ByChannel(IReadOnlyList{Person}, IEnumerable{string?})"/>).</summary>
    public static Dictionary<string, Dictionary<string, BuyerCourses[]>> ByChannelAndMonth(IReadOnlyList<Person> people, IEnumerable<string?> channels)
    {
        var birthMonths = new Dictionary<int, int>(people.Count);
        foreach (var person in people)
        {
            birthMonths[person.CitizenId] = person.BirthDate.Month;
        }
        var byChannel = new Dictionary<string, List<BuyerCourses>[]>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            byChannel.TryAdd(ChannelKey(channel), [.. Enumerable.Range(0, 12).Select(_ => new List<BuyerCourses>())]);
        }
        var perMonth = new int[12];
        var recipients = new HashSet<int>();
        foreach (var person in people)
        {
            var key = ChannelKey(person.Channel);
            if (!byChannel.TryGetValue(key, out var months))
            {
                byChannel[key] = months = [.. Enumerable.Range(0, 12).Select(_ => new List<BuyerCourses>())];
            }
            if (person.Relatives.Count + person.Friends.Count == 0)
            {
                continue;
            }
            Array.Clear(perMonth);
            foreach (var relative in person.Relatives)
            {
                perMonth[birthMonths[relative] - 1]++;
            }
            if (person.Friends.Count > 0)
            {
                recipients.Clear();
                recipients.UnionWith(person.Relatives);
                foreach (var friend in person.Friends)
                {
                    if (recipients.Add(friend))
                    {
                        perMonth[birthMonths[friend] - 1]++;
                    }
                }
            }
            for (var month = 0; month < 12; month++)
            {
                if (perMonth[month] > 0)
                {
                    months[month].Add(new BuyerCourses(person.CitizenId, perMonth[month]));
                }
            }
        }
        return byChannel.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(
            pair => pair.Key,
            pair => Enumerable.Range(1, 12).ToDictionary(
                month => month.ToString(CultureInfo.InvariantCulture),
                month => InCitizenOrder(pair.Value[month - 1]),
                StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    /// <summary>The store hands citizens over by citizen_id already; sorting keeps the contract for any input order.</summary>
    private static BuyerCourses[] InCitizenOrder(List<BuyerCourses> buyers)
    {
        var array = buyers.ToArray();
        for (var i = 1; i < array.Length; i++)
        {
            if (array[i - 1].CitizenId > array[i].CitizenId)
            {
                Array.Sort(array, static (a, b) => a.CitizenId.CompareTo(b.CitizenId));
                break;
            }
        }
        return array;
    }
}
