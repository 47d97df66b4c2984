using System.Globalization;
using Analyzer.Imports;

namespace Analyzer.Datasets.Geography;

/// <summary>The query parameters of a search by distance: <c>near=LAT,LON</c> and <c>within_km=KM</c>, or a row's own coordinates.</summary>
public static class NearParameters
{
    /// <summary>The search of <c>near</c> and <c>within_km</c>; null when neither is given or one is wrong (then in <paramref name="errors"/>).</summary>
    public static Near? Read(Dataset dataset, IQueryCollection query, ValidationErrors errors)
    {
        var hasNear = query.ContainsKey("near");
        if (!hasNear)
        {
            if (query.ContainsKey("within_km"))
            {
                errors.Add("within_km", "goes with near=LAT,LON (the centre of the search)");
            }
            return null;
        }
        if (dataset.Geo is null)
        {
            errors.Add("near", NotGeographic(dataset));
            return null;
        }
        var point = ParsePoint(query["near"].ToString(), "near", errors);
        var meters = Radius(query, errors);
        return point is var (lat, lon) && meters is { } radius ? new Near(lat, lon, radius) : null;
    }

    /// <summary>The search around <paramref name="row"/>'s coordinates within <c>within_km</c>.</summary>
    public static Near? AroundRow(Dataset dataset, DatasetRow row, IQueryCollection query, ValidationErrors errors)
    {
        if (dataset.Geo is not { } geo)
        {
            errors.Add("name", NotGeographic(dataset));
            return null;
        }
        var meters = Radius(query, errors);
        var lat = row.Values[dataset.Columns.Select(c => c.Name).ToList().IndexOf(geo.Lat)];
        var lon = row.Values[dataset.Columns.Select(c => c.Name).ToList().IndexOf(geo.Lon)];
        if (lat is null || lon is null)
        {
            errors.Add("id", $"row {row.Id} has no coordinates ({geo.Lat} or {geo.Lon} is null)");
            return null;
        }
        return meters is { } radius
            ? new Near(Convert.ToDouble(lat, CultureInfo.InvariantCulture), Convert.ToDouble(lon, CultureInfo.InvariantCulture), radius)
            : null;
    }

    public static string NotGeographic(Dataset dataset) =>
        $"dataset {dataset.Name} is not geographic: it has no float columns latitude/lat and longitude/lon/lng; upload it with lat=COLUMN&lon=COLUMN to choose them";

    /// <summary><c>within_km</c> in metres: required, a finite number, 0 or more.</summary>
    public static double? Radius(IQueryCollection query, ValidationErrors errors)
    {
        var text = query["within_km"].ToString();
        if (text.Length == 0)
        {
            errors.Add("within_km", "is required: the radius of the search in kilometres, e.g. within_km=83");
            return null;
        }
        if (!TryNumber(text, out var km) || km < 0)
        {
            errors.Add("within_km", $"must be a number of kilometres, 0 or more, not '{Truncate(text)}'");
            return null;
        }
        return km * 1000;
    }

    /// <summary>"LAT,LON" in degrees, each in range.</summary>
    public static (double Lat, double Lon)? ParsePoint(string text, string parameter, ValidationErrors errors)
    {
        var parts = text.Split(',');
        if (parts.Length != 2 || !TryNumber(parts[0], out var lat) || !TryNumber(parts[1], out var lon))
        {
            errors.Add(parameter, $"must be LAT,LON in degrees (e.g. 37.773972,-122.43129), not '{Truncate(text)}'");
            return null;
        }
        if (!Sphere.IsLatitude(lat) || !Sphere.IsLongitude(lon))
        {
            errors.Add(parameter, $"'{Truncate(text)}' is not a place: the latitude must be from -90 to 90 and the longitude from -180 to 180");
            return null;
        }
        return (lat, lon);
    }

    /// <summary>A finite decimal number (no NaN, no infinity, no thousands separators).</summary>
    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
