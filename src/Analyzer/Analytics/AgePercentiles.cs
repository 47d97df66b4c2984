
namespace Analyzer.Analytics;

public sealed record TownAgePercentiles(string Town, decimal P50, decimal P75, decimal P99);

/// <summary>Age percentiles per town, exactly as numpy.percentile's default (linear) method, in decimal.</summary>
public static class AgePercentiles
{
    public static TownAgePercentiles[] ByTown(IEnumerable<TownBirthDate> citizens, DateOnly today) =>
        [.. citizens
            .GroupBy(c => c.Town, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var ages = g.Select(c => FullYears(c.BirthDate, today)).Order().ToArray();
                return new TownAgePercentiles(g.Key, Percentile(ages, 50), Percentile(ages, 75), Percentile(ages, 99));
            })];

    /// <summary>Completed years on <paramref name="today"/>; someone born on 29 February ages on 1 March in other years.</summary>
    public static int FullYears(DateOnly birthDate, DateOnly today)
    {
        var years = today.Year - birthDate.Year;
        return (today.Month, today.Day).CompareTo((birthDate.Month, birthDate.Day)) < 0 ? years - 1 : years;
    }

    /// <summary>
    /// h = (n-1)·q/100; a[⌊h⌋] + (h-⌊h⌋)·(a[⌊h⌋+1]-a[⌊h⌋]), rounded to 2 places, halves away from zero.
    /// </summary>
    public static decimal Percentile(IReadOnlyList<int> sortedValues, int q)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sortedValues.Count);
        var h = (decimal)(sortedValues.Count - 1) * q / 100;
        var lower = (int)decimal.Floor(h);
        var value = (decimal)sortedValues[lower];
        if (lower + 1 < sortedValues.Count)
        {
            value += (h - lower) * (sortedValues[lower + 1] - sortedValues[lower]);
        }
        return decimal.Round(value, 2, MidpointRounding.AwayFromZero);
    }
}
