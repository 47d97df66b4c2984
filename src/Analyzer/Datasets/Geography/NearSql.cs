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
        if (postGis && geo.Point)
        {
            return Conditions(dialect, geo, postGis, "", new Centre("@near_lat", "@near_lon", "", "", []), "@near_m");
        }
        var box = Sphere.Box(near);
        command.AddParameter("@near_min_lat", box.MinLat);
        command.AddParameter("@near_max_lat", box.MaxLat);
        for (var i = 0; i < box.Lon.Count; i++)
        {
            command.AddParameter($"@near_min_lon{i}", box.Lon[i].Min);
            command.AddParameter($"@near_max_lon{i}", box.Lon[i].Max);
        }
        return Conditions(dialect, geo, postGis, "", new Centre("@near_lat", "@near_lon", "@near_min_lat", "@near_max_lat",
            [.. box.Lon.Select((_, i) => ($"@near_min_lon{i}", $"@near_max_lon{i}"))]), "@near_m");
    }

    /// <summary>
    /// Many searches of one radius in one statement: the centres are a VALUES list <c>centres</c> (numbered from 0 in
    /// column <c>"centre"</c>) joined to the table, aliased <c>t</c>. Returns the WITH clause, the join conditions and the
    /// distance expression; the parameters are added to <paramref name="command"/>.
    /// </summary>
    public static (string With, IReadOnlyList<string> Conditions, string Distance) BuildMany(
        SqlDialect dialect, GeoColumns geo, bool postGis, IReadOnlyList<(double Lat, double Lon)> centres, double meters, DbCommand command)
    {
        command.AddParameter("@near_m", meters);
        var values = new List<string>(centres.Count);
        for (var i = 0; i < centres.Count; i++)
        {
            var (lat, lon) = centres[i];
            var box = Sphere.Box(new Near(lat, lon, meters));
            // Always two longitude ranges; an unused second one is empty (from 1 to 0).
            var (lon0, lon1) = (box.Lon[0], box.Lon.Count > 1 ? box.Lon[1] : (1.0, 0.0));
            double[] row = [lat, lon, box.MinLat, box.MaxLat, lon0.Min, lon0.Max, lon1.Item1, lon1.Item2];
            for (var j = 0; j < row.Length; j++)
            {
                command.AddParameter($"@c{i}_{j}", row[j]);
            }
            values.Add($"({i}, {string.Join(", ", row.Select((_, j) => dialect.Double($"@c{i}_{j}")))})");
        }
        var with = "WITH \"centres\" (\"centre\", \"lat\", \"lon\", \"min_lat\", \"max_lat\", \"min_lon0\", \"max_lon0\", \"min_lon1\", \"max_lon1\") AS (VALUES "
            + string.Join(", ", values) + ")";
        var (conditions, distance) = Conditions(dialect, geo, postGis, "\"t\".", new Centre("\"centres\".\"lat\"", "\"centres\".\"lon\"",
            "\"centres\".\"min_lat\"", "\"centres\".\"max_lat\"",
            [("\"centres\".\"min_lon0\"", "\"centres\".\"max_lon0\""), ("\"centres\".\"min_lon1\"", "\"centres\".\"max_lon1\"")]), "@near_m");
        return (with, conditions, distance);
    }

    /// <summary>A centre as SQL expressions: its coordinates and its bounding box (for the fallback).</summary>
    private sealed record Centre(string Lat, string Lon, string MinLat, string MaxLat, IReadOnlyList<(string Min, string Max)> LonRanges);

    private static (IReadOnlyList<string> Conditions, string Distance) Conditions(
        SqlDialect dialect, GeoColumns geo, bool postGis, string table, Centre centre, string meters)
    {
        var radius = Sphere.RadiusMeters.ToString(CultureInfo.InvariantCulture);
        if (postGis && geo.Point)
        {
            var point = table + SqlDialect.Quote(GeoColumns.PointColumn);
            var centrePoint = $"ST_Point({centre.Lon}, {centre.Lat}, 4326)";
            var distance = $"ST_DistanceSphere({point}::geometry, {centrePoint}, {radius})";
            return ([$"ST_DWithin({point}, {centrePoint}::geography, {meters} * 1.0001 + 1, false)", $"{distance} <= {meters}"], distance);
        }
        var (lat, lon) = (table + SqlDialect.Quote(geo.Lat), table + SqlDialect.Quote(geo.Lon));
        var lonRanges = centre.LonRanges.Select(r => $"{lon} BETWEEN {r.Min} AND {r.Max}");
        // The same haversine as Sphere.Meters, term for term.
        var a = $"power(sin(radians({lat} - {centre.Lat}) / 2), 2) + cos(radians({centre.Lat})) * cos(radians({lat})) * power(sin(radians({lon} - {centre.Lon}) / 2), 2)";
        var haversine = $"(2 * {radius} * asin(sqrt({dialect.Least("1.0", a)})))";
        return ([$"{lat} BETWEEN {centre.MinLat} AND {centre.MaxLat}", "(" + string.Join(" OR ", lonRanges) + ")", $"{haversine} <= {meters}"], haversine);
    }
}
