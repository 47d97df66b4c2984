using System.Globalization;
using System.Text;

namespace Analyzer.Datasets.Csv;

/// <summary>
/// Turns header cells and dataset names into identifiers that are safe in SQL (they are still always quoted) on
/// both back ends: ASCII <c>a-z</c>, <c>0-9</c> and <c>_</c>; every other character (spaces, punctuation, non-ASCII
/// letters, which are not transliterated) becomes <c>_</c>; runs of <c>_</c> collapse and ends are trimmed; a
/// leading digit gets a prefix; at most <see cref="MaxLength"/> bytes (PostgreSQL's identifier limit).
/// </summary>
public static class ColumnNames
{
    public const int MaxLength = 63;

    /// <summary>Columns every dataset table has; a CSV column with such a name gets a suffix (<c>id_2</c>).</summary>
    public static readonly IReadOnlyList<string> ReservedColumnNames = ["id", "deleted_at", Geography.GeoColumns.PointColumn];

    /// <summary>The name a dataset gets when its given name has no usable character.</summary>
    public const string DefaultTableName = "dataset";

    /// <summary>
    /// Column names for a header (or for <c>columns=</c>), in order: each normalised, empty ones named
    /// <c>column_N</c> (N = 1-based position), a leading digit prefixed with <c>c_</c>, and names that are reserved
    /// or taken by an earlier column given the first free suffix <c>_2</c>, <c>_3</c>, … that no column uses as
    /// written (so <c>a,a,a_2</c> gives <c>a, a_3, a_2</c>). Every result is at most 63 bytes.
    /// </summary>
    public static string[] Normalise(IReadOnlyList<string> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var bases = new string[raw.Count];
        for (var i = 0; i < raw.Count; i++)
        {
            var name = Clean(raw[i], "c_");
            bases[i] = name.Length == 0 ? $"column_{i + 1}" : name;
        }
        // A name as written belongs to its first column; suffixes avoid every name written, reserved or given out.
        var firstOwner = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = bases.Length - 1; i >= 0; i--)
        {
            firstOwner[bases[i]] = i;
        }
        var claimed = new HashSet<string>(bases, StringComparer.Ordinal);
        claimed.UnionWith(ReservedColumnNames);
        var result = new string[bases.Length];
        for (var i = 0; i < bases.Length; i++)
        {
            var name = bases[i];
            if (firstOwner[name] != i || ReservedColumnNames.Contains(name))
            {
                name = WithFreeSuffix(name, claimed);
                claimed.Add(name);
            }
            result[i] = name;
        }
        return result;
    }

    /// <summary>A dataset name (from <c>?name=</c>) by the same rules; a leading digit gets <c>t_</c>, nothing usable gives <c>dataset</c>.</summary>
    public static string NormaliseTableName(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var name = Clean(raw, "t_");
        return name.Length == 0 ? DefaultTableName : name;
    }

    /// <summary>
    /// A dataset name from an uploaded file's name: the last path segment (browsers may send <c>C:\fakepath\x.csv</c>)
    /// without its extension, then <see cref="NormaliseTableName"/>.
    /// </summary>
    public static string TableNameFromFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var lastSeparator = fileName.LastIndexOfAny(['/', '\\']);
        var file = fileName[(lastSeparator + 1)..];
        var dot = file.LastIndexOf('.');
        return NormaliseTableName(dot > 0 ? file[..dot] : file);
    }

    /// <summary>Lower-case ASCII letters and digits, single underscores between them, a prefix before a digit, cut to 63 bytes.</summary>
    private static string Clean(string raw, string digitPrefix)
    {
        var builder = new StringBuilder(Math.Min(raw.Length, MaxLength + 1));
        var pendingUnderscore = false;
        foreach (var c in raw)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (pendingUnderscore && builder.Length > 0)
                {
                    builder.Append('_');
                }
                pendingUnderscore = false;
                builder.Append(char.ToLowerInvariant(c));
                if (builder.Length > MaxLength)
                {
                    break;
                }
            }
            else
            {
                pendingUnderscore = true;
            }
        }
        if (builder.Length > 0 && char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, digitPrefix);
        }
        return Truncate(builder.ToString(), MaxLength);
    }

    private static string WithFreeSuffix(string name, HashSet<string> claimed)
    {
        for (var n = 2; ; n++)
        {
            var suffix = "_" + n.ToString(CultureInfo.InvariantCulture);
            var candidate = Truncate(name, MaxLength - suffix.Length) + suffix;
            if (!claimed.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>At most <paramref name="length"/> characters (ASCII here, so bytes), without a trailing underscore.</summary>
    private static string Truncate(string name, int length) =>
        name.Length <= length ? name : name[..length].TrimEnd('_');
}
