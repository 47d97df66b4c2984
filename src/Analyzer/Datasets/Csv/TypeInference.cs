using System.Globalization;

namespace Analyzer.Datasets.Csv;

/// <summary>
/// Which <see cref="ColumnType"/> a text value can be, and its value as that type. The forms accepted:
/// <list type="bullet">
/// <item>integer: <c>-?[0-9]+</c> within 64 bits, no leading zero (<c>0</c> and <c>-0</c> are fine, <c>007</c> is
/// not: codes like zip codes and phone numbers stay text). Digits beyond 64 bits are text as well, not float: such
/// values are identifiers, and a double would change them;</item>
/// <item>float: invariant-culture decimals <c>-?(D+(.D*)?|.D+)([eE][+-]?D+)?</c> (<c>1.0</c>, <c>-6.0816</c>,
/// <c>.5</c>, <c>5.</c>, <c>1e5</c>), the same no-leading-zero rule for the integer part (<c>0.5</c> is fine), finite
/// as a double; never <c>NaN</c>, <c>Infinity</c>, a <c>+</c> sign, a comma or blanks. Every integer is a float;</item>
/// <item>boolean: <c>true</c> or <c>false</c>, any case;</item>
/// <item>date: <c>YYYY-MM-DD</c> or <c>DD.MM.YYYY</c>, a real day of years 1–9999;</item>
/// <item>timestamp: ISO 8601 <c>YYYY-MM-DD</c>, <c>T</c> or a space, <c>hh:mm</c>, optional <c>:ss</c>, optional
/// fraction (up to 9 digits, kept to 100 ns), optional <c>Z</c> or offset <c>±hh:mm</c>, <c>±hhmm</c>, <c>±hh</c>.
/// No offset means UTC; values are returned in UTC. A <c>YYYY-MM-DD</c> date is also a timestamp (midnight UTC),
/// so a column mixing dates and timestamps is a timestamp column;</item>
/// <item>text: anything, including the empty string of a quoted <c>""</c>.</item>
/// </list>
/// </summary>
public static class TypeInference
{
    /// <summary>The types a value fits, as flags in the order of <see cref="ColumnType"/>.</summary>
    [Flags]
    internal enum Fits
    {
        None = 0,
        Integer = 1 << ColumnType.Integer,
        Float = 1 << ColumnType.Float,
        Boolean = 1 << ColumnType.Boolean,
        Date = 1 << ColumnType.Date,
        Timestamp = 1 << ColumnType.Timestamp,
        All = Integer | Float | Boolean | Date | Timestamp,
    }

    internal static Fits Classify(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return Fits.None;
        }
        switch (value[0])
        {
            case 't' or 'T' or 'f' or 'F':
                return TryParseBoolean(value, out _) ? Fits.Boolean : Fits.None;
            case not ('-' or '.' or (>= '0' and <= '9')):
                return Fits.None;
        }
        // The grammar decides; parsing is needed only where the value might not fit (19 digits, an exponent).
        switch (ScanNumber(value))
        {
            case Fits.Integer | Fits.Float:
                return value.Length < 19 || TryParseInteger(value, out _) ? Fits.Integer | Fits.Float : Fits.None;
            case Fits.Float:
                return (value.Length < 300 && !value.ContainsAny('e', 'E')) || TryParseFloat(value, out _) ? Fits.Float : Fits.None;
        }
        if (value.Length == 10 && TryParseDate(value, out _))
        {
            return value[4] == '-' ? Fits.Date | Fits.Timestamp : Fits.Date;
        }
        return TryParseTimestamp(value, out _) ? Fits.Timestamp : Fits.None;
    }

    /// <summary>The value as the CLR type of <paramref name="type"/>: long, double, bool, DateOnly, DateTimeOffset (UTC) or string.</summary>
    /// <exception cref="FormatException">The value is not of that type.</exception>
    public static object Convert(string value, ColumnType type) =>
        TryConvert(value, type, out var result)
            ? result
            : throw new FormatException($"'{value}' is not a valid {type.ToApiName()}");

    /// <summary>As <see cref="Convert"/>, for checking values that come from a request (a query string).</summary>
    public static bool TryConvert(string value, ColumnType type, out object result)
    {
        ArgumentNullException.ThrowIfNull(value);
        var ok = false;
        result = value;
        switch (type)
        {
            case ColumnType.Integer when ok = TryParseInteger(value, out var integer):
                result = integer;
                break;
            case ColumnType.Float when ok = TryParseFloat(value, out var number):
                result = number;
                break;
            case ColumnType.Boolean when ok = TryParseBoolean(value, out var boolean):
                result = boolean;
                break;
            case ColumnType.Date when ok = TryParseDate(value, out var date):
                result = date;
                break;
            case ColumnType.Timestamp when ok = TryParseTimestamp(value, out var timestamp):
                result = timestamp;
                break;
            case ColumnType.Text:
                ok = true;
                break;
        }
        return ok;
    }

    /// <summary>The longest number written with a decimal comma that is read as one.</summary>
    private const int MaxDecimalCommaLength = 128;

    /// <summary>
    /// A number written with a decimal comma and optional dots between groups of three digits (<c>1,25</c>,
    /// <c>-1.234,00</c>, <c>1.234.567</c>, <c>12</c>) as the invariant form the other rules read (<c>1.25</c>,
    /// <c>-1234.00</c>, <c>1234567</c>, <c>12</c>); null when it is not such a number.
    /// </summary>
    public static string? FromDecimalComma(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxDecimalCommaLength)
        {
            return null;
        }
        Span<char> result = stackalloc char[value.Length];
        var written = 0;
        var i = 0;
        if (value[0] == '-')
        {
            result[written++] = '-';
            i++;
        }
        var digits = 0;   // in the current group
        var groups = 0;   // dots seen
        var start = written;
        for (; i < value.Length && value[i] != ','; i++)
        {
            if (value[i] == '.')
            {
                // A dot ends a group: the first of 1–3 digits, every later one of exactly 3.
                if (digits is 0 or > 3 || (groups > 0 && digits != 3))
                {
                    return null;
                }
                groups++;
                digits = 0;
            }
            else if (char.IsAsciiDigit(value[i]))
            {
                result[written++] = value[i];
                digits++;
            }
            else
            {
                return null;
            }
        }
        if (written == start || (groups > 0 && digits != 3))
        {
            return null;
        }
        if (i < value.Length)
        {
            result[written++] = '.';
            var fraction = ++i;
            for (; i < value.Length; i++)
            {
                if (!char.IsAsciiDigit(value[i]))
                {
                    return null;
                }
                result[written++] = value[i];
            }
            if (i == fraction)
            {
                return null;
            }
        }
        return new string(result[..written]);
    }

    /// <summary>What a value written with a decimal comma fits: integer and float, float, or nothing.</summary>
    internal static Fits ClassifyDecimalComma(ReadOnlySpan<char> value) =>
        FromDecimalComma(value) is { } invariant ? Classify(invariant) & (Fits.Integer | Fits.Float) : Fits.None;

    public static bool TryParseInteger(ReadOnlySpan<char> value, out long result)
    {
        result = 0;
        return ScanNumber(value) == (Fits.Integer | Fits.Float)
            && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result);
    }

    public static bool TryParseFloat(ReadOnlySpan<char> value, out double result)
    {
        result = 0;
        return ScanNumber(value) != Fits.None
            && double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out result)
            && double.IsFinite(result);
    }

    public static bool TryParseBoolean(ReadOnlySpan<char> value, out bool result)
    {
        result = value.Equals("true", StringComparison.OrdinalIgnoreCase);
        return result || value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>YYYY-MM-DD</c> or <c>DD.MM.YYYY</c>, a day that exists.</summary>
    public static bool TryParseDate(ReadOnlySpan<char> value, out DateOnly result)
    {
        result = default;
        int year, month, day;
        if (value is [_, _, _, _, '-', _, _, '-', _, _])
        {
            (year, month, day) = (Digits(value[..4]), Digits(value[5..7]), Digits(value[8..]));
        }
        else if (value is [_, _, '.', _, _, '.', _, _, _, _])
        {
            (year, month, day) = (Digits(value[6..]), Digits(value[3..5]), Digits(value[..2]));
        }
        else
        {
            return false;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        result = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>ISO 8601 as described on the class, returned in UTC; a bare <c>YYYY-MM-DD</c> is midnight UTC.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> value, out DateTimeOffset result)
    {
        result = default;
        if (value.Length < 10 || value[4] != '-' || !TryParseDate(value[..10], out var date))
        {
            return false;
        }
        var rest = value[10..];
        var time = TimeSpan.Zero;
        if (!rest.IsEmpty)
        {
            if (rest is not [('T' or 't' or ' '), _, _, ':', _, _, ..])
            {
                return false;
            }
            var (hours, minutes, seconds) = (Digits(rest[1..3]), Digits(rest[4..6]), 0);
            rest = rest[6..];
            long fractionTicks = 0;
            if (rest is [':', _, _, ..])
            {
                seconds = Digits(rest[1..3]);
                rest = rest[3..];
                if (rest is ['.', ..])
                {
                    var digits = 1;
                    while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
                    {
                        digits++;
                    }
                    if (digits is 1 or > 10)
                    {
                        return false;
                    }
                    var kept = Math.Min(digits - 1, 7);   // 100 ns ticks; further digits are dropped
                    fractionTicks = Digits(rest.Slice(1, kept)) * (long)Math.Pow(10, 7 - kept);
                    rest = rest[digits..];
                }
            }
            if (hours is < 0 or > 23 || minutes is < 0 or > 59 || seconds is < 0 or > 59)
            {
                return false;
            }
            time = new TimeSpan(hours, minutes, seconds) + TimeSpan.FromTicks(fractionTicks);
        }
        if (!TryParseOffset(rest, out var offset))
        {
            return false;
        }
        var local = date.ToDateTime(TimeOnly.MinValue).Add(time);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }
        result = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return true;
    }

    /// <summary>Nothing (UTC), <c>Z</c>, or <c>±hh:mm</c>, <c>±hhmm</c>, <c>±hh</c> up to 14 hours.</summary>
    private static bool TryParseOffset(ReadOnlySpan<char> text, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (text.IsEmpty || text is ['Z' or 'z'])
        {
            return true;
        }
        if (text is not [('+' or '-'), _, _, ..])
        {
            return false;
        }
        var hours = Digits(text[1..3]);
        var minutes = text.Length switch
        {
            3 => 0,
            5 => Digits(text[3..5]),
            6 when text[3] == ':' => Digits(text[4..6]),
            _ => -1,
        };
        if (hours < 0 || minutes is < 0 or > 59 || hours * 60 + minutes > 14 * 60)
        {
            return false;
        }
        offset = new TimeSpan(hours, minutes, 0) * (text[0] == '-' ? -1 : 1);
        return true;
    }

    /// <summary>The non-negative number written by ASCII digits only, or -1.</summary>
    private static int Digits(ReadOnlySpan<char> text)
    {
        var result = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return -1;
            }
            result = result * 10 + (c - '0');
        }
        return text.IsEmpty ? -1 : result;
    }

    /// <summary>
    /// The number grammar: <see cref="Fits.Integer"/> | <see cref="Fits.Float"/> for <c>-?D+</c> (range not checked),
    /// <see cref="Fits.Float"/> for the other decimal forms, <see cref="Fits.None"/> otherwise.
    /// </summary>
    private static Fits ScanNumber(ReadOnlySpan<char> value)
    {
        var i = value is ['-', ..] ? 1 : 0;
        var integerStart = i;
        while (i < value.Length && char.IsAsciiDigit(value[i]))
        {
            i++;
        }
        var integerDigits = i - integerStart;
        if (integerDigits > 1 && value[integerStart] == '0')
        {
            return Fits.None;
        }
        if (i == value.Length)
        {
            return integerDigits == 0 ? Fits.None
                : integerDigits <= 19 ? Fits.Integer | Fits.Float
                : Fits.None;
        }
        var fractionDigits = 0;
        if (value[i] == '.')
        {
            i++;
            var fractionStart = i;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
            }
            fractionDigits = i - fractionStart;
        }
        if (integerDigits + fractionDigits == 0)
        {
            return Fits.None;
        }
        if (i < value.Length && value[i] is 'e' or 'E')
        {
            i++;
            if (i < value.Length && value[i] is '+' or '-')
            {
                i++;
            }
            var exponentStart = i;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
            }
            if (i == exponentStart)
            {
                return Fits.None;
            }
        }
        return i == value.Length ? Fits.Float : Fits.None;
    }
}

/// <summary>
/// Infers one column's type while its values stream by: every non-NULL value narrows the set of types all values
/// so far fit; the result is the narrowest left (see <see cref="TypeInference"/>), else text. NULLs only make the
/// column nullable; a column without a single value is nullable text.
/// </summary>
public sealed class ColumnTypeAccumulator(DecimalMark mark = DecimalMark.Point)
{
    private const TypeInference.Fits Numbers = TypeInference.Fits.Integer | TypeInference.Fits.Float;

    private TypeInference.Fits possible = TypeInference.Fits.All;
    private TypeInference.Fits possibleWithComma = Numbers;
    private bool sawComma;
    private bool sawValue;
    private bool sawNull;

    /// <summary>Values are measured up to this many UTF-8 bytes: enough to size rows (see RowSize).</summary>
    public const int MaxBytesCounted = 255;

    /// <summary>The UTF-8 length of the longest value added, at most <see cref="MaxBytesCounted"/>.</summary>
    public int MaxBytes { get; private set; }

    /// <summary>Adds one value; null is a NULL (an empty unquoted field or the null marker).</summary>
    public void Add(string? value)
    {
        if (value is null)
        {
            sawNull = true;
            return;
        }
        Add(value.AsSpan());
    }

    /// <summary>Adds one non-NULL value.</summary>
    public void Add(ReadOnlySpan<char> value)
    {
        sawValue = true;
        if (MaxBytes < MaxBytesCounted)
        {
            var bytes = value.Length >= MaxBytesCounted ? MaxBytesCounted : Math.Min(System.Text.Encoding.UTF8.GetByteCount(value), MaxBytesCounted);
            MaxBytes = Math.Max(MaxBytes, bytes);
        }
        if (possible != TypeInference.Fits.None)
        {
            possible &= TypeInference.Classify(value);
        }
        if (mark != DecimalMark.Point && possibleWithComma != TypeInference.Fits.None)
        {
            possibleWithComma &= TypeInference.ClassifyDecimalComma(value);
            sawComma |= value.Contains(',');
        }
    }

    public void AddNull() => sawNull = true;

    /// <summary>
    /// The narrowest type of every value added, whether it may be NULL, and whether its numbers are written with a
    /// decimal comma. With <see cref="DecimalMark.Comma"/> numbers are read only so; with <see cref="DecimalMark.Detect"/>
    /// a column is read so when its values are not numbers as written but all are with a decimal comma, and one has a comma.
    /// </summary>
    public (ColumnType Type, bool Nullable, bool DecimalComma) Result
    {
        get
        {
            var fits = possible;
            var decimalComma = mark switch
            {
                DecimalMark.Comma => true,
                DecimalMark.Detect => (possible & Numbers) == 0 && sawComma && possibleWithComma != TypeInference.Fits.None,
                _ => false,
            };
            if (decimalComma)
            {
                fits = (possible & ~Numbers) | possibleWithComma;
            }
            var type = ColumnType.Text;
            if (sawValue && fits != TypeInference.Fits.None)
            {
                type = (ColumnType)System.Numerics.BitOperations.TrailingZeroCount((int)fits);
            }
            return (type, sawNull || !sawValue, decimalComma && type is ColumnType.Integer or ColumnType.Float);
        }
    }
}

/// <summary>How a file writes the decimal mark of its numbers.</summary>
public enum DecimalMark
{
    /// <summary><c>1234.56</c> (the default).</summary>
    Point,

    /// <summary><c>1.234,56</c> (<c>decimal=,</c>).</summary>
    Comma,

    /// <summary>Either, decided per column (no <c>decimal=</c> and the delimiter is <c>;</c>).</summary>
    Detect,
}
