using System.Globalization;
using Microsoft.AspNetCore.Routing.Matching;

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

/// <summary>
/// <c>{x:id}</c>: digits only. It also tells the route matcher which literal segments it can never
/// match, so that <c>/imports/1/citizens/birthdays</c> is not offered to the PATCH route at all (and
/// its <c>Allow</c> header lists GET only).
/// </summary>
public sealed class IdRouteConstraint : IRouteConstraint, IParameterLiteralNodeMatchingPolicy
{
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string text && IsId(text);

    public bool MatchesLiteral(string parameterName, string literal) => IsId(literal);

    /// <summary>Up to 18 digits, so that every id the route lets through fits a long; longer ones are 404 by routing.</summary>
    private static bool IsId(string text) => text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit);
}
