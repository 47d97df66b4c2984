using Analyzer.Datasets.Csv;
using Analyzer.Imports;

namespace Analyzer.Datasets.Geography;

/// <summary>
/// The coordinate columns of a geographic dataset (degrees, WGS 84), and whether its table also has the PostGIS column
/// <see cref="PointColumn"/> generated from them.
/// </summary>
public sealed record GeoColumns(string Lat, string Lon, bool Point)
{
    /// <summary>The PostGIS column: a reserved name (<see cref="ColumnNames.ReservedColumnNames"/>), so no CSV column can take it.</summary>
    public const string PointColumn = "geo_point";

    /// <summary>Column names that make a dataset geographic without lat= and lon=, in order of preference.</summary>
    public static readonly IReadOnlyList<string> LatitudeNames = ["latitude", "lat"];

    public static readonly IReadOnlyList<string> LongitudeNames = ["longitude", "lon", "lng"];

    /// <summary>
    /// The coordinate columns of an upload: those named by <paramref name="lat"/> and <paramref name="lon"/> (both or
    /// neither; each a numeric column, errors under the parameter's name), else float columns named as
    /// <see cref="LatitudeNames"/> and <see cref="LongitudeNames"/> say (case-insensitively), else none.
    /// </summary>
    public static (string Lat, string Lon)? Choose(IReadOnlyList<CsvColumn> columns, string? lat, string? lon, ValidationErrors errors)
    {
        if (lat is null && lon is null)
        {
            var latitude = LatitudeNames.Select(n => Find(columns, n)).FirstOrDefault(c => c?.Type == ColumnType.Float);
            var longitude = LongitudeNames.Select(n => Find(columns, n)).FirstOrDefault(c => c?.Type == ColumnType.Float);
            return latitude is not null && longitude is not null ? (latitude.Name, longitude.Name) : null;
        }
        var chosenLat = Chosen(columns, "lat", lat, "lon", errors);
        var chosenLon = Chosen(columns, "lon", lon, "lat", errors);
        if (chosenLat is not null && chosenLat == chosenLon)
        {
            errors.Add("lon", "must name another column than lat");
        }
        return chosenLat is not null && chosenLon is not null && chosenLat != chosenLon ? (chosenLat, chosenLon) : null;
    }

    private static string? Chosen(IReadOnlyList<CsvColumn> columns, string parameter, string? name, string other, ValidationErrors errors)
    {
        if (name is null)
        {
            errors.Add(parameter, $"name the {(parameter == "lat" ? "latitude" : "longitude")} column too when {other}= is given");
            return null;
        }
        if (Find(columns, name) is not { } column)
        {
            errors.Add(parameter, $"there is no column '{name}'; the file has {string.Join(", ", columns.Select(c => c.Name))}");
            return null;
        }
        if (column.Type is not (ColumnType.Float or ColumnType.Integer))
        {
            errors.Add(parameter, $"column {column.Name} is {column.Type.ToApiName()}; coordinates must be numbers");
            return null;
        }
        return column.Name;
    }

    private static CsvColumn? Find(IReadOnlyList<CsvColumn> columns, string name) =>
        columns.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? columns.FirstOrDefault(c => c.SourceName?.Trim().Equals(name, StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Why a latitude or longitude value is refused, or null (null values are allowed: such a row has no location).</summary>
    public static string? RangeProblem(bool latitude, object? value) => value switch
    {
        double or long when latitude && !Sphere.IsLatitude(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)) =>
            $"{value} is not a latitude: it must be from -90 to 90",
        double or long when !latitude && !Sphere.IsLongitude(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)) =>
            $"{value} is not a longitude: it must be from -180 to 180",
        _ => null,
    };

    /// <summary>Adds an error per coordinate of <paramref name="values"/> (column values by name) out of range.</summary>
    public void CheckRange(IReadOnlyDictionary<string, object?> values, ValidationErrors errors)
    {
        if (values.TryGetValue(Lat, out var lat) && RangeProblem(true, lat) is { } latProblem)
        {
            errors.Add(Lat, latProblem);
        }
        if (values.TryGetValue(Lon, out var lon) && RangeProblem(false, lon) is { } lonProblem)
        {
            errors.Add(Lon, lonProblem);
        }
    }

    /// <summary>A check of CSV rows (values in column order) for <see cref="CsvTable.ReadRows"/>: the first coordinate out of range, or null.</summary>
    public Func<object?[], string?> RowCheck(IReadOnlyList<DatasetColumn> columns)
    {
        var latIndex = columns.Select(c => c.Name).ToList().IndexOf(Lat);
        var lonIndex = columns.Select(c => c.Name).ToList().IndexOf(Lon);
        return row => RangeProblem(true, row[latIndex]) is { } latProblem ? $"column {Lat}: {latProblem}"
            : RangeProblem(false, row[lonIndex]) is { } lonProblem ? $"column {Lon}: {lonProblem}"
            : null;
    }
}
