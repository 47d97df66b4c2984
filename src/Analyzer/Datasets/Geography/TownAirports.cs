namespace Analyzer.Datasets.Geography;

/// <summary>
/// The citizens of one town of an import, and how many came through each advertising channel (key <c>""</c> for
/// citizens without one, as in the courses answers: a channel name always has a letter or digit).
/// </summary>
public sealed record TownCitizens(string Town, IReadOnlyList<int> CitizenIds, IReadOnlyDictionary<string, int> Channels);

/// <summary>A place of a geographic dataset (an airport of airports.dat): its row id, iata and name (null where the dataset has no such column).</summary>
public sealed record Place(long Id, object? Iata, object? Name);

/// <summary>A place within the radius of a town, and how far.</summary>
public sealed record PlaceDistance(Place Place, double Meters);

/// <summary>A town with its citizens, its location (null when no row of the dataset is in that city) and the places within the radius, nearest first.</summary>
public sealed record TownPlaces(TownCitizens Town, (double Lat, double Lon)? Location, IReadOnlyList<PlaceDistance> Places);

/// <summary>A town within the radius of a place, and how far.</summary>
public sealed record TownDistance(TownCitizens Town, double Meters);

/// <summary>A place with the towns within its radius: their citizens, nearest town first.</summary>
public sealed record PlaceTowns(Place Place, IReadOnlyList<TownDistance> Towns)
{
    public IReadOnlyList<int> CitizenIds { get; } = [.. Towns.SelectMany(t => t.Town.CitizenIds).Order()];
}

/// <summary>Question 3 of the seed, as pure functions: where towns are, and which airports serve their citizens.</summary>
public static class TownAirports
{
    /// <summary>
    /// Each town's location: the mean of the coordinates of the rows whose city equals the town, compared ignoring case
    /// (ordinal, so Москва and МОСКВА match on both back ends). A plain mean: a city whose rows straddle the antimeridian
    /// would land between them, which no city of airports.dat does.
    /// </summary>
    public static Dictionary<string, (double Lat, double Lon)> Locations(IEnumerable<string> towns, IEnumerable<(string City, double Lat, double Lon)> rows)
    {
        var wanted = towns.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var sums = new Dictionary<string, (double Lat, double Lon, int Count)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (city, lat, lon) in rows)
        {
            if (wanted.Contains(city))
            {
                var (sumLat, sumLon, count) = sums.GetValueOrDefault(city);
                sums[city] = (sumLat + lat, sumLon + lon, count + 1);
            }
        }
        return sums.ToDictionary(s => s.Key, s => (s.Value.Lat / s.Value.Count, s.Value.Lon / s.Value.Count), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The answer by airport: every place within the radius of some town, most citizens first (then the nearest town, then id).</summary>
    public static IReadOnlyList<PlaceTowns> ByPlace(IEnumerable<TownPlaces> towns) =>
        [.. towns
            .SelectMany(t => t.Places.Select(p => (p.Place, Town: new TownDistance(t.Town, p.Meters))))
            .GroupBy(p => p.Place.Id)
            .Select(g => new PlaceTowns(g.First().Place, [.. g.Select(p => p.Town).OrderBy(t => t.Meters).ThenBy(t => t.Town.Town, StringComparer.Ordinal)]))
            .OrderByDescending(p => p.CitizenIds.Count).ThenBy(p => p.Towns[0].Meters).ThenBy(p => p.Place.Id)];
}
