namespace Analyzer.Datasets.Geography;

/// <summary>A point of a circle's search: within <see cref="Meters"/> of (<see cref="Lat"/>, <see cref="Lon"/>), in degrees.</summary>
public sealed record Near(double Lat, double Lon, double Meters);

/// <summary>A latitude range and one or two longitude ranges (two when the box crosses the antimeridian), in degrees.</summary>
public sealed record BoundingBox(double MinLat, double MaxLat, IReadOnlyList<(double Min, double Max)> Lon);

/// <summary>
/// Distances on the sphere PostGIS's <c>ST_DistanceSphere</c> measures on (radius 6,370,986 m), written out because the
/// fallback path computes them in SQL and in the tests' reference: one formula (haversine), no library needed.
/// </summary>
public static class Sphere
{
    /// <summary>The radius of ST_DistanceSphere's sphere, in metres (passed to it explicitly, since PostGIS 3's default is 6,371,008).</summary>
    public const double RadiusMeters = 6_370_986;

    /// <summary>Half the circumference: no two points are farther apart.</summary>
    public const double MaxMeters = Math.PI * RadiusMeters;

    public static bool IsLatitude(double value) => value is >= -90 and <= 90;

    public static bool IsLongitude(double value) => value is >= -180 and <= 180;

    /// <summary>The great-circle distance in metres (haversine; the argument of asin clamped to 1 against rounding).</summary>
    public static double Meters(double lat1, double lon1, double lat2, double lon2)
    {
        var a = Square(Math.Sin(Radians(lat2 - lat1) / 2)) + Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * Square(Math.Sin(Radians(lon2 - lon1) / 2));
        return 2 * RadiusMeters * Math.Asin(Math.Sqrt(Math.Min(1, a)));
    }

    private static double Radians(double degrees) => degrees * (Math.PI / 180);

    private static double Square(double x) => x * x;

    /// <summary>
    /// A box that holds every point within <paramref name="near"/>'s radius, a little larger against rounding: the latitude
    /// band of the angular radius, and the longitudes of the circle's tangent meridians (all of them when a pole is in reach).
    /// </summary>
    public static BoundingBox Box(Near near)
    {
        const double slack = 1e-6; // degrees, about 0.1 m: the exact distance decides, the box only has to hold every hit
        var angle = near.Meters / RadiusMeters;
        var angleDegrees = angle * (180 / Math.PI);
        var minLat = near.Lat - angleDegrees - slack;
        var maxLat = near.Lat + angleDegrees + slack;
        if (minLat <= -90 || maxLat >= 90 || angle >= Math.PI / 2)
        {
            return new BoundingBox(Math.Max(minLat, -90), Math.Min(maxLat, 90), [(-180, 180)]);
        }
        var sine = Math.Sin(angle) / Math.Cos(Radians(near.Lat));
        if (sine >= 1)
        {
            return new BoundingBox(minLat, maxLat, [(-180, 180)]);
        }
        var lonDegrees = Math.Asin(sine) * (180 / Math.PI) + slack;
        var (minLon, maxLon) = (near.Lon - lonDegrees, near.Lon + lonDegrees);
        IReadOnlyList<(double, double)> lon = minLon < -180 ? [(minLon + 360, 180), (-180, maxLon)]
            : maxLon > 180 ? [(minLon, 180), (-180, maxLon - 360)]
            : [(minLon, maxLon)];
        return new BoundingBox(minLat, maxLat, lon);
    }
}
