using System.Globalization;

namespace Analyzer.Web;

/// <summary>
/// Ids in paths are non-negative decimal integers. The <c>{x:id}</c> route constraint only lets digits
/// through (anything else is a routing 404); a number too large for the id's type is a 404 as well.
/// </summary>
public static class PathIds
{
    public static bool TryParseImportId(string text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    public static bool TryParseCitizenId(string text, out int id) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}

public sealed class IdRouteConstraint : IRouteConstraint
{
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value)
        && value is string text
        && text.Length is > 0 and <= 32
        && text.All(char.IsAsciiDigit);
}
