namespace Analyzer.Analytics;

public sealed record BuyerPresents(int CitizenId, int Presents);

/// <summary>A citizen's id and birth date and the ids of its relatives: what the birthdays are computed from.</summary>
public sealed record Kin(int CitizenId, DateOnly BirthDate, IReadOnlyList<int> Relatives);

/// <summary>Presents by month: who buys how many presents for relatives born in each month.</summary>
public static class Birthdays
{
    /// <summary>
    /// Twelve lists, "1" (January) to "12", each with one entry per citizen that has relatives born in
    /// that month, ordered by citizen_id. A citizen who is its own relative counts itself.
    /// Every relative listed is a citizen of <paramref name="citizens"/> (validation and PATCH keep it so).
    /// </summary>
    public static Dictionary<string, BuyerPresents[]> PresentsByMonth(IReadOnlyList<Kin> citizens)
    {
        var monthOf = new Dictionary<int, int>(citizens.Count);
        foreach (var citizen in citizens)
        {
            monthOf[citizen.CitizenId] = citizen.BirthDate.Month - 1;
        }
        var months = new List<BuyerPresents>[12];
        for (var month = 0; month < 12; month++)
        {
            months[month] = [];
        }
        Span<int> presents = stackalloc int[12];
        foreach (var citizen in citizens.OrderBy(c => c.CitizenId))
        {
            presents.Clear();
            foreach (var relative in citizen.Relatives)
            {
                presents[monthOf[relative]]++;
            }
            for (var month = 0; month < 12; month++)
            {
                if (presents[month] > 0)
                {
                    months[month].Add(new BuyerPresents(citizen.CitizenId, presents[month]));
                }
            }
        }
        var result = new Dictionary<string, BuyerPresents[]>(12);
        for (var month = 1; month <= 12; month++)
        {
            result[month.ToString(System.Globalization.CultureInfo.InvariantCulture)] = [.. months[month - 1]];
        }
        return result;
    }
}
