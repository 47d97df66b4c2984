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
}
