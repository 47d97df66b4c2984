using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Analyzer.Web;

namespace Analyzer.Imports;

/// <summary>
/// Reads import and patch bodies strictly with <see cref="Utf8JsonReader"/> (unknown and duplicate keys,
/// nulls, numbers that are not integers, impossible dates: all rejected with a JSON path) and writes citizens.
/// A body is read only after <see cref="JsonBody.Check"/> has passed it: well-formed, one value, valid Unicode
/// everywhere and no NUL, so that the reading itself cannot throw.
/// </summary>
public static partial class CitizenJson
{
    public const int MaxTextLength = 256;

    [Flags]
    private enum Field
    {
        None = 0,
        CitizenId = 1 << 0,
        Town = 1 << 1,
        Street = 1 << 2,
        Building = 1 << 3,
        Apartment = 1 << 4,
        Name = 1 << 5,
        BirthDate = 1 << 6,
        Gender = 1 << 7,
        Relatives = 1 << 8,
        Friends = 1 << 9,
        Channel = 1 << 10,
        /// <summary>The optional fields beyond the contract's nine: an import that uses either has them on every citizen.</summary>
        FriendsOrChannel = Friends | Channel,
    }

    public const int MaxChannelLength = 64;

    private static readonly (Field Field, string Name)[] FieldNames =
    [
        (Field.CitizenId, "citizen_id"), (Field.Town, "town"), (Field.Street, "street"),
        (Field.Building, "building"), (Field.Apartment, "apartment"), (Field.Name, "name"),
        (Field.BirthDate, "birth_date"), (Field.Gender, "gender"), (Field.Relatives, "relatives"),
        (Field.Friends, "friends"), (Field.Channel, "channel"),
    ];

    /// <summary>The names in UTF-8: comparing a property name with a string transcodes the string at every comparison.</summary>
    private static readonly byte[][] FieldNamesUtf8 = [.. FieldNames.Select(f => Encoding.UTF8.GetBytes(f.Name))];

    /// <summary>One citizen's fields as read; null where missing or invalid.</summary>
    private struct CitizenFields
    {
        public int? CitizenId;
        public string? Town, Street, Building, Name;
        public int? Apartment;
        public DateOnly? BirthDate;
        public Gender? Gender;
        public int[]? Relatives, Friends;
        public string? Channel;
        /// <summary>Whether friends or channel appeared (the import then has the extended shape).</summary>
        public bool NamesFriendsOrChannel;
    }

    /// <summary>
    /// Parses and validates a whole POST /imports body into citizens; returns null when <paramref name="errors"/> is
    /// not empty. (The service streams instead: <see cref="ImportReader"/>; this is the same reading, collected.)
    /// </summary>
    public static Citizen[]? ReadImport(ReadOnlySequence<byte> body, DateOnly today, ValidationErrors errors)
    {
        var reader = new ImportReader(body, today, errors);
        if (!reader.Start())
        {
            return null;
        }
        var citizens = reader.ToList();
        if (!reader.Complete())
        {
            return null;
        }
        return [.. citizens.Select(c => reader.UsesFriendsOrChannels ? c with { Friends = c.Friends ?? [] } : c)];
    }

    private static CitizenFields ReadCitizen(ref Utf8JsonReader reader, int citizen, DateOnly today, ValidationErrors errors)
    {
        var fields = new CitizenFields();
        var seen = Field.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = IdentifyField(ref reader, out var name);
            var fieldPath = JsonPath.OfCitizen(citizen, name ?? reader.GetString()!);
            reader.Read();
            if (field == Field.None)
            {
                errors.Add(fieldPath, "unknown field");
                reader.Skip();
                continue;
            }
            if ((seen & field) != 0)
            {
                errors.Add(fieldPath, "appears more than once");
                reader.Skip();
                continue;
            }
            seen |= field;
            ReadField(ref reader, field, fieldPath, today, errors, ref fields);
        }
        foreach (var (field, name) in FieldNames)
        {
            if ((seen & field) == 0 && (field & Field.FriendsOrChannel) == 0)
            {
                errors.Add(JsonPath.OfCitizen(citizen, name), "is required");
            }
        }
        fields.NamesFriendsOrChannel = (seen & Field.FriendsOrChannel) != 0;
        return fields;
    }

    /// <summary>Parses and validates a PATCH body; returns null when <paramref name="errors"/> is not empty.</summary>
    public static CitizenPatch? ReadPatch(ReadOnlySequence<byte> body, DateOnly today, ValidationErrors errors)
    {
        if (!JsonBody.Check(body, errors))
        {
            return null;
        }
        var fields = new CitizenFields();
        var seen = Field.None;
        var reader = new Utf8JsonReader(body, JsonBody.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            errors.Add("$", "the body must be a JSON object with the fields to change");
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = IdentifyField(ref reader, out var knownName);
            var name = new JsonPath(null, knownName ?? reader.GetString()!);
            reader.Read();
            if (field is Field.None or Field.CitizenId)
            {
                errors.Add(name, field == Field.CitizenId ? "cannot be changed" : "unknown field");
                reader.Skip();
                continue;
            }
            if ((seen & field) != 0)
            {
                errors.Add(name, "appears more than once");
                reader.Skip();
                continue;
            }
            seen |= field;
            ReadField(ref reader, field, name, today, errors, ref fields);
        }
        if (seen == Field.None && errors.IsEmpty)
        {
            errors.Add("$", "name at least one field to change: name, gender, birth_date, relatives, town, street, building, apartment, friends, channel");
        }
        if (fields.Relatives is { } relatives && FirstRepeated(relatives) is { } repeatedRelative)
        {
            errors.Add("relatives", Repeated(repeatedRelative));
        }
        if (fields.Friends is { } friends && FirstRepeated(friends) is { } repeatedFriend)
        {
            errors.Add("friends", Repeated(repeatedFriend));
        }
        if (!errors.IsEmpty)
        {
            return null;
        }
        return new CitizenPatch
        {
            Town = fields.Town,
            Street = fields.Street,
            Building = fields.Building,
            Apartment = fields.Apartment,
            Name = fields.Name,
            BirthDate = fields.BirthDate,
            Gender = fields.Gender,
            Relatives = fields.Relatives,
            Friends = fields.Friends,
            Channel = fields.Channel,
            ChangesChannel = (seen & Field.Channel) != 0,
        };
    }

    private static Field IdentifyField(ref Utf8JsonReader reader, out string? name)
    {
        for (var i = 0; i < FieldNames.Length; i++)
        {
            if (reader.ValueTextEquals(FieldNamesUtf8[i]))
            {
                name = FieldNames[i].Name;
                return FieldNames[i].Field;
            }
        }
        name = null;
        return Field.None;
    }

    private static void ReadField(ref Utf8JsonReader reader, Field field, JsonPath path, DateOnly today, ValidationErrors errors, ref CitizenFields fields)
    {
        if (field == Field.Channel && reader.TokenType == JsonTokenType.Null)
        {
            return; // no channel
        }
        if (reader.TokenType == JsonTokenType.Null)
        {
            errors.Add(path, "must not be null");
            return;
        }
        switch (field)
        {
            case Field.CitizenId:
                fields.CitizenId = ReadInteger(ref reader, path, errors);
                break;
            case Field.Apartment:
                fields.Apartment = ReadInteger(ref reader, path, errors);
                break;
            case Field.Town:
                fields.Town = ReadText(ref reader, path, errors, needsLetterOrDigit: true);
                break;
            case Field.Street:
                fields.Street = ReadText(ref reader, path, errors, needsLetterOrDigit: true);
                break;
            case Field.Building:
                fields.Building = ReadText(ref reader, path, errors, needsLetterOrDigit: true);
                break;
            case Field.Name:
                fields.Name = ReadText(ref reader, path, errors, needsLetterOrDigit: false);
                break;
            case Field.BirthDate:
                fields.BirthDate = ReadBirthDate(ref reader, path, today, errors);
                break;
            case Field.Gender:
                fields.Gender = ReadGender(ref reader, path, errors);
                break;
            case Field.Relatives:
                fields.Relatives = ReadIdList(ref reader, path, errors);
                break;
            case Field.Friends:
                fields.Friends = ReadIdList(ref reader, path, errors);
                break;
            case Field.Channel:
                fields.Channel = ReadText(ref reader, path, errors, needsLetterOrDigit: true, MaxChannelLength);
                break;
        }
    }

    private static int? ReadInteger(ref Utf8JsonReader reader, JsonPath path, ValidationErrors errors)
    {
        // TryGetInt64 accepts only plain integers: 7.0, 1e2 and "7" are not.
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value is >= 0 and <= int.MaxValue)
        {
            return (int)value;
        }
        errors.Add(path, $"must be an integer from 0 to {int.MaxValue}");
        reader.Skip();
        return null;
    }

    private static string? ReadString(ref Utf8JsonReader reader, JsonPath path, ValidationErrors errors)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            errors.Add(path, "must be a string");
            reader.Skip();
            return null;
        }
        return reader.GetString(); // valid text without NUL: JsonBody.Check
    }

    private static string? ReadText(ref Utf8JsonReader reader, JsonPath path, ValidationErrors errors, bool needsLetterOrDigit, int maxLength = MaxTextLength)
    {
        var text = ReadString(ref reader, path, errors);
        if (text is null)
        {
            return null;
        }
        var span = text.AsSpan();
        // Unicode scalar values: UTF-16 code units, less one per surrogate pair (rare: vectorised check first).
        var length = span.ContainsAnyInRange('\uD800', '\uDFFF') ? CountScalarValues(text) : span.Length;
        if (length == 0 || length > maxLength)
        {
            errors.Add(path, $"must be 1 to {maxLength} characters long, not {length}");
            return null;
        }
        if (needsLetterOrDigit && !HasLetterOrDigit(text))
        {
            errors.Add(path, "must contain at least one letter or digit");
            return null;
        }
        return text;
    }

    private static int CountScalarValues(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    private static bool HasLetterOrDigit(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                return true;
            }
        }
        return false;
    }

    private static DateOnly? ReadBirthDate(ref Utf8JsonReader reader, JsonPath path, DateOnly today, ValidationErrors errors)
    {
        // The usual case, ten plain ASCII bytes, is read in place; anything else as a string (escapes, errors).
        Span<char> plain = stackalloc char[10];
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence
            && Encoding.ASCII.TryGetChars(reader.ValueSpan, plain, out var written) && written == 10
            && TryParseDate(plain, out var parsed) && parsed <= today)
        {
            return parsed;
        }
        var text = ReadString(ref reader, path, errors);
        if (text is null)
        {
            return null;
        }
        if (!TryParseDate(text, out var date))
        {
            errors.Add(path, $"must be a real date written DD.MM.YYYY, not \"{Truncate(text)}\"");
            return null;
        }
        if (date > today)
        {
            errors.Add(path, $"must not be later than today ({FormatDate(today)} UTC)");
            return null;
        }
        return date;
    }

    /// <summary>Exactly <c>DD.MM.YYYY</c>, two-digit day and month, four-digit year, a date that exists.</summary>
    public static bool TryParseDate(string text, out DateOnly date) => TryParseDate(text.AsSpan(), out date);

    private static bool TryParseDate(ReadOnlySpan<char> text, out DateOnly date)
    {
        date = default;
        if (text.Length != 10 || text[2] != '.' || text[5] != '.')
        {
            return false;
        }
        if (!TryDigits(text.Slice(0, 2), out var day) || !TryDigits(text.Slice(3, 2), out var month) || !TryDigits(text.Slice(6, 4), out var year))
        {
            return false;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        date = new DateOnly(year, month, day);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }

    public static string FormatDate(DateOnly date) => date.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);

    private static Gender? ReadGender(ref Utf8JsonReader reader, JsonPath path, ValidationErrors errors)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueTextEquals("male"u8))
            {
                return Gender.Male;
            }
            if (reader.ValueTextEquals("female"u8))
            {
                return Gender.Female;
            }
        }
        var text = ReadString(ref reader, path, errors);
        switch (text)
        {
            case null:
                return null;
            case "male":
                return Gender.Male;
            case "female":
                return Gender.Female;
            default:
                errors.Add(path, $"must be \"male\" or \"female\", not \"{Truncate(text)}\"");
                return null;
        }
    }

    private static int[]? ReadIdList(ref Utf8JsonReader reader, JsonPath path, ValidationErrors errors)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            errors.Add(path, "must be an array of citizen_ids");
            reader.Skip();
            return null;
        }
        var ids = idListScratch ??= [];
        ids.Clear();
        var valid = true;
        for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                errors.Add(path.At(index), "must not be null");
                valid = false;
                continue;
            }
            if (ReadInteger(ref reader, path.At(index), errors) is { } id)
            {
                ids.Add(id);
            }
            else
            {
                valid = false;
            }
        }
        return !valid ? null : ids.Count == 0 ? [] : ids.ToArray();
    }

    /// <summary>Where <see cref="ReadIdList"/> collects a list before it knows its length (one list per citizen read: no List per list).</summary>
    [ThreadStatic]
    private static List<int>? idListScratch;

    private static string Repeated(int repeated) => $"lists citizen {repeated} more than once";

    /// <summary>Most lists hold a relative or two: compare pairs there, hash only long lists.</summary>
    private static int? FirstRepeated(ReadOnlySpan<int> ids)
    {
        if (ids.Length <= 16)
        {
            for (var i = 1; i < ids.Length; i++)
            {
                if (ids[..i].Contains(ids[i]))
                {
                    return ids[i];
                }
            }
            return null;
        }
        var seen = new HashSet<int>(ids.Length);
        foreach (var id in ids)
        {
            if (!seen.Add(id))
            {
                return id;
            }
        }
        return null;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    public static void Write(Utf8JsonWriter writer, Citizen citizen)
    {
        writer.WriteStartObject();
        writer.WriteNumber("citizen_id"u8, citizen.CitizenId);
        writer.WriteString("town"u8, citizen.Town);
        writer.WriteString("street"u8, citizen.Street);
        writer.WriteString("building"u8, citizen.Building);
        writer.WriteNumber("apartment"u8, citizen.Apartment);
        writer.WriteString("name"u8, citizen.Name);
        writer.WriteString("birth_date"u8, FormatDate(citizen.BirthDate, stackalloc byte[10]));
        writer.WriteString("gender"u8, citizen.Gender == Gender.Male ? "male"u8 : "female"u8);
        WriteIds(writer, "relatives"u8, citizen.Relatives);
        if (citizen.Friends is { } friends)
        {
            WriteIds(writer, "friends"u8, friends);
            if (citizen.Channel is { } channel)
            {
                writer.WriteString("channel"u8, channel);
            }
            else
            {
                writer.WriteNull("channel"u8);
            }
        }
        writer.WriteEndObject();
    }

    /// <summary>
    /// DD.MM.YYYY in ASCII, digit by digit: the culture's custom format took about half the time of writing a whole
    /// citizen (GET citizens of 10,000: 9.2 → 5–6 ms in Analyzer.Micro's WriteCitizens).
    /// </summary>
    internal static ReadOnlySpan<byte> FormatDate(DateOnly date, Span<byte> into)
    {
        var (year, month, day) = date;
        into[0] = (byte)('0' + day / 10);
        into[1] = (byte)('0' + day % 10);
        into[2] = (byte)'.';
        into[3] = (byte)('0' + month / 10);
        into[4] = (byte)('0' + month % 10);
        into[5] = (byte)'.';
        into[6] = (byte)('0' + year / 1000);
        into[7] = (byte)('0' + year / 100 % 10);
        into[8] = (byte)('0' + year / 10 % 10);
        into[9] = (byte)('0' + year % 10);
        return into;
    }

    internal static void WriteIds(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<int> ids)
    {
        writer.WriteStartArray(name);
        foreach (var id in ids)
        {
            writer.WriteNumberValue(id);
        }
        writer.WriteEndArray();
    }
}
