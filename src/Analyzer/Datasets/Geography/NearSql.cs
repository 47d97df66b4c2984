using System.Data.Common;
using System.Globalization;
using Analyzer.Storage;

namespace Analyzer.Datasets.Geography;

/// <summary>
/// The SQL of "within <see cref="Near.Meters"/> of a point" on a geographic dataset's table: a condition that an index
/// answers, the exact distance in metres, and their parameters (<c>@near_*</c>). Two paths, the same rows and distances
/// (to well under a metre):
/// <list type="bullet">
/// <item>PostGIS: <c>ST_DWithin</c> on the GiST-indexed geography column, with a radius a little larger than asked (its
/// sphere is PostGIS's mean radius, not ST_DistanceSphere's), then <c>ST_DistanceSphere</c> on 6,370,986 m;</item>
/// <item>fallback (SQLite, PostgreSQL without PostGIS): the <see cref="Sphere.Box"/> on the (lat, lon) index, then the
/// haversine of <see cref="Sphere.Meters"/> in SQL (SQLite's e_sqlite3 is built with its math functions).</item>
/// </list>
/// </summary>
public static class NearSql
{
    /// <summary>The (lat, lon) index every geographic table gets, and on PostGIS the generated point and its GiST index.</summary>
    public static IEnumerable<string> TableStatements(SqlDialect dialect, string dataset, GeoColumns geo)
    {
        yield return dialect.CreateDatasetIndex(dataset, "geo_box", $"({SqlDialect.Quote(geo.Lat)}, {SqlDialect.Quote(geo.Lon)})");
        if (geo.Point)
        {
            yield return dialect.CreateDatasetIndex(dataset, "geo_point", $"USING GIST ({SqlDialect.Quote(GeoColumns.PointColumn)})");
        }
    }

    /// <summary>The PostGIS column's definition, for CREATE TABLE.</summary>
    public static string PointColumnDefinition(GeoColumns geo) =>
        $"{SqlDialect.Quote(GeoColumns.PointColumn)} geography(Point, 4326) GENERATED ALWAYS AS "
        + $"(ST_Point({SqlDialect.Quote(geo.Lon)}, {SqlDialect.Quote(geo.Lat)}, 4326)::geography) STORED";

    /// <summary>The conditions (ANDed) and the distance expression of a search; its parameters are added to <paramref name="command"/>.</summary>
    public static (IReadOnlyList<string> Conditions, string Distance) Build(SqlDialect dialect, GeoColumns geo, bool postGis, Near near, DbCommand command)
    {
        command.AddParameter("@near_lat", near.Lat);
        command.AddParameter("@near_lon", near.Lon);
        command.AddParameter("@near_m", near.Meters);
        var radius = Sphere.RadiusMeters.ToString(CultureInfo.InvariantCulture);
        if (postGis && geo.Point)
        {
            var point = SqlDialect.Quote(GeoColumns.PointColumn);
            var distance = $"ST_DistanceSphere({point}::geometry, ST_Point(@near_lon, @near_lat, 4326), {radius})";
            return ([$"ST_DWithin({point}, ST_Point(@near_lon, @near_lat, 4326)::geography, @near_m * 1.0001 + 1, false)", $"{distance} <= @near_m"], distance);
        }
        var (lat, lon) = (SqlDialect.Quote(geo.Lat), SqlDialect.Quote(geo.Lon));
        var box = Sphere.Box(near);
        command.AddParameter("@near_min_lat", box.MinLat);
        command.AddParameter("@near_max_lat", box.MaxLat);
        var lonRanges = new List<string>();
        for (var i = 0; i < box.Lon.Count; i++)
        {
            command.AddParameter($"@near_min_lon{i}", box.Lon[i].Min);
            command.AddParameter($"@near_max_lon{i}", box.Lon[i].Max);
            lonRanges.Add($"{lon} BETWEEN @near_min_lon{i} AND @near_max_lon{i}");
        }
        // The same haversine as Sphere.Meters, term for term.
        var a = $"power(sin(radians({lat} - @near_lat) / 2), 2) + cos(radians(@near_lat)) * cos(radians({lat})) * power(sin(radians({lon} - @near_lon) / 2), 2)";
        var haversine = $"(2 * {radius} * asin(sqrt({dialect.Least("1.0", a)})))";
        return ([$"{lat} BETWEEN @near_min_lat AND @near_max_lat", "(" + string.Join(" OR ", lonRanges) + ")", $"{haversine} <= @near_m"], haversine);
    }
}
