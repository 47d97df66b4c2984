
namespace Analyzer.Analytics;

public sealed record BuyerPresents(int CitizenId, int Presents);

/// <summary>Presents by month: who buys how many presents for relatives born in each month.</summary>
public static class Birthdays
{
    /// <summary>
    /// Twelve lists, "1" (January) to "12", each with one entry per citizen that has relatives born in
    /// that month, ordered by citizen_id. A citizen who is its own relative counts itself.
    /// </summary>
    public static Dictionary<string, BuyerPresents[]> PresentsByMonth(IEnumerable<RelativeBirthDate> relatives)
    {
        var counts = new Dictionary<int, int>[12];
        for (var month = 0; month < 12; month++)
        {
            counts[month] = [];
        }
        foreach (var (citizenId, relativeBirthDate) in relatives)
        {
            var byCitizen = counts[relativeBirthDate.Month - 1];
            byCitizen[citizenId] = byCitizen.GetValueOrDefault(citizenId) + 1;
        }
        var result = new Dictionary<string, BuyerPresents[]>(12);
        for (var month = 1; month <= 12; month++)
        {
            result[month.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                [.. counts[month - 1].OrderBy(pair => pair.Key).Select(pair => new BuyerPresents(pair.Key, pair.Value))];
        }
        return result;
    }
}
