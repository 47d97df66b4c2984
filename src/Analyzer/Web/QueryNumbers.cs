using System.Globalization;
using Analyzer.Imports;

namespace Analyzer.Web;

/// <summary>Whole numbers in query strings (limits, offsets, keyset ids), as every paged endpoint reads them.</summary>
public static class QueryNumbers
{
    /// <summary>The parameter's value, <paramref name="fallback"/> when it is absent or empty, or an error naming it when it is not a whole number in range.</summary>
    public static long Read(IQueryCollection query, string key, long fallback, long min, long max, ValidationErrors errors)
    {
        var text = query[key].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        errors.Add(key, $"must be an integer from {min} to {max}");
        return fallback;
    }
}
