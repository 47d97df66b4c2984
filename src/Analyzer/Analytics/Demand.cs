using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Analyzer.Analytics;

/// <summary>What demand rows can be split by, as written in <c>by=</c>.</summary>
public enum DemandKey
{
    Town,
    AgeGroup,
    Channel,
}

/// <summary>Ages <see cref="From"/> to <see cref="To"/> in full years, both included; no <see cref="To"/> means no upper bound.</summary>
public sealed record AgeGroup(int From, int? To)
{
    public bool Contains(int age) => age >= From && (To is null || age <= To);

    /// <summary>As written in age_groups= and in the answer: 25-34, or 65- for an open group.</summary>
    public string Label { get; } = To is null
        ? string.Create(CultureInfo.InvariantCulture, $"{From}-")
        : string.Create(CultureInfo.InvariantCulture, $"{From}-{To}");
}

/// <summary>
/// One non-empty cell: its keys (only those of <see cref="By"/> are written), how many citizens fall in it and how
/// many courses they buy. A citizen without a channel has <see cref="Channel"/> null.
/// </summary>
[JsonConverter(typeof(DemandRowJsonConverter))]
public sealed record DemandRow(IReadOnlyList<DemandKey> By, string? Town, AgeGroup? AgeGroup, string? Channel, int Citizens, long Courses);

/// <summary>Demand for courses per cell of town × age group × channel (any non-empty subset, in any order).</summary>
public static class Demand
{
    public static readonly IReadOnlyList<DemandKey> DefaultBy = [DemandKey.Town, DemandKey.AgeGroup, DemandKey.Channel];

    public static readonly IReadOnlyList<AgeGroup> DefaultAgeGroups =
    [
        new(0, 17), new(18, 24), new(25, 34), new(35, 44), new(45, 54), new(55, 64), new(65, null),
    ];

    public static string KeyName(DemandKey key) => key switch
    {
        DemandKey.Town => "town",
        DemandKey.AgeGroup => "age_group",
        _ => "channel",
    };

    /// <summary>
    /// One row per cell that holds at least one citizen, ordered by the keys of <paramref name="by"/> in turn: towns and
    /// channels in ordinal order (no channel first), age groups in their order. With age_group among the keys, a
    /// citizen whose age (full years at <paramref name="today"/>) is in no group is left out.
    /// </summary>
    public static DemandRow[] Cells(IReadOnlyList<Person> people, IReadOnlyList<DemandKey> by, IReadOnlyList<AgeGroup> ageGroups, DateOnly today)
    {
        var byAge = by.Contains(DemandKey.AgeGroup);
        var byTown = by.Contains(DemandKey.Town);
        var byChannel = by.Contains(DemandKey.Channel);
        // Towns and channels become small integers first (a string-keyed dictionary hashes fastest), so that a cell is
        // three integers; they are ranked by their names only once, for the order of the rows.
        var towns = new Values();
        var channels = new Values();
        var cells = new Dictionary<(int Town, int Group, int Channel), (int Citizens, long Courses)>();
        foreach (var person in people)
        {
            var group = -1;
            if (byAge && (group = GroupOf(ageGroups, AgePercentiles.FullYears(person.BirthDate, today))) < 0)
            {
                continue;
            }
            var cell = (byTown ? towns.IndexOf(person.Town) : -1, group, byChannel ? channels.IndexOf(person.Channel) : -1);
            ref var counts = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(cells, cell, out _);
            counts = (counts.Citizens + 1, counts.Courses + Courses.Count(person));
        }
        var townRanks = towns.Ranks();
        var channelRanks = channels.Ranks();
        // One integer per row orders the rows: the ranks of its keys, in by's order, as digits of mixed radix.
        var rows = cells.ToArray();
        var order = new long[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var (town, group, channel) = rows[i].Key;
            foreach (var key in by)
            {
                order[i] = key switch
                {
                    DemandKey.Town => order[i] * townRanks.Length + townRanks[town],
                    DemandKey.AgeGroup => order[i] * ageGroups.Count + group,
                    _ => order[i] * channelRanks.Length + channelRanks[channel],
                };
            }
        }
        Array.Sort(order, rows);
        return [.. rows.Select(row => new DemandRow(by,
            row.Key.Town < 0 ? null : towns.NameAt(row.Key.Town),
            row.Key.Group < 0 ? null : ageGroups[row.Key.Group],
            row.Key.Channel < 0 ? null : channels.NameAt(row.Key.Channel),
            row.Value.Citizens, row.Value.Courses))];
    }

    /// <summary>Distinct names (null among them) numbered as first met, and their ranks in ordinal order (null first).</summary>
    private sealed class Values
    {
        private readonly Dictionary<string, int> indexes = new(StringComparer.Ordinal);
        private readonly List<string?> names = [];
        private int nullIndex = -1;

        public string? NameAt(int index) => names[index];

        public int IndexOf(string? name)
        {
            if (name is null)
            {
                if (nullIndex < 0)
                {
                    nullIndex = names.Count;
                    names.Add(null);
                }
                return nullIndex;
            }
            ref var index = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(indexes, name, out var exists);
            if (!exists)
            {
                index = names.Count;
                names.Add(name);
            }
            return index;
        }

        /// <summary>rank[index]: the position of names[index] in ordinal order.</summary>
        public int[] Ranks()
        {
            var order = Enumerable.Range(0, names.Count).ToArray();
            Array.Sort(order, (a, b) => string.CompareOrdinal(names[a], names[b]));
            var ranks = new int[names.Count];
            for (var rank = 0; rank < order.Length; rank++)
            {
                ranks[order[rank]] = rank;
            }
            return ranks;
        }
    }

    private static int GroupOf(IReadOnlyList<AgeGroup> ageGroups, int age)
    {
        for (var i = 0; i < ageGroups.Count; i++)
        {
            if (ageGroups[i].Contains(age))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Reads by=: key names separated by commas, each once; null (with a message) when it is not that.</summary>
    public static IReadOnlyList<DemandKey>? ParseBy(string text, out string? error)
    {
        var keys = new List<DemandKey>();
        foreach (var part in text.Split(','))
        {
            DemandKey? key = part switch
            {
                "town" => DemandKey.Town,
                "age_group" => DemandKey.AgeGroup,
                "channel" => DemandKey.Channel,
                _ => null,
            };
            if (key is null)
            {
                error = part.Length == 0
                    ? "must be keys separated by commas, among town, age_group and channel, not an empty one"
                    : $"unknown key \"{part}\": use town, age_group or channel, separated by commas";
                return null;
            }
            if (keys.Contains(key.Value))
            {
                error = $"lists \"{part}\" twice";
                return null;
            }
            keys.Add(key.Value);
        }
        error = null;
        return keys;
    }

    /// <summary>The most groups age_groups= may list, and the highest age it may name.</summary>
    public const int MaxAgeGroups = 100;

    public const int MaxAge = 999;

    /// <summary>
    /// Reads age_groups=: groups a-b (a ≤ b) or a- (no upper bound, last only) separated by commas, ascending and not
    /// overlapping (gaps are allowed); null (with a message) when it is not that.
    /// </summary>
    public static IReadOnlyList<AgeGroup>? ParseAgeGroups(string text, out string? error)
    {
        var groups = new List<AgeGroup>();
        var parts = text.Split(',');
        if (parts.Length > MaxAgeGroups)
        {
            error = $"lists {parts.Length} groups; at most {MaxAgeGroups}";
            return null;
        }
        foreach (var part in parts)
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0 || !Age(part[..dash], out var from) || (dash + 1 < part.Length && !Age(part[(dash + 1)..], out _)))
            {
                error = $"\"{part}\" is not a group: write FROM-TO or FROM- (no upper bound), ages in whole years 0–{MaxAge}, separated by commas";
                return null;
            }
            int? to = dash + 1 < part.Length ? int.Parse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture) : null;
            if (to < from)
            {
                error = $"\"{part}\" ends before it starts";
                return null;
            }
            if (groups.Count > 0 && groups[^1] is var previous && (previous.To is null || from <= previous.To))
            {
                error = previous.To is null
                    ? $"\"{previous.Label}\" has no upper bound, so it must be the last group"
                    : $"\"{part}\" starts at or before the end of \"{previous.Label}\": groups must be ascending and must not overlap";
                return null;
            }
            groups.Add(new AgeGroup(from, to));
        }
        error = null;
        return groups;
    }

    private static bool Age(string text, out int age) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out age) && age <= MaxAge && text.Length <= 3;
}

/// <summary>Writes a row with only the keys it is split by, in the order asked for, then citizens and courses.</summary>
public sealed class DemandRowJsonConverter : JsonConverter<DemandRow>
{
    public override DemandRow Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("demand rows are only written");

    public override void Write(Utf8JsonWriter writer, DemandRow value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var key in value.By)
        {
            switch (key)
            {
                case DemandKey.Town:
                    writer.WriteString("town"u8, value.Town);
                    break;
                case DemandKey.AgeGroup:
                    writer.WriteString("age_group"u8, value.AgeGroup?.Label);
                    break;
                default:
                    writer.WriteString("channel"u8, value.Channel);
                    break;
            }
        }
        writer.WriteNumber("citizens"u8, value.Citizens);
        writer.WriteNumber("courses"u8, value.Courses);
        writer.WriteEndObject();
    }
}
