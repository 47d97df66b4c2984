using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Analyzer.Bench;

/// <summary>What to generate: citizens 1..N, <paramref name="Relations"/> distinct pairs of different citizens.</summary>
/// <param name="TextLength">0: natural lengths; else every town, street, building and name padded (or cut) to exactly this many characters.</param>
/// <param name="Links">Also the optional fields of issue 11 on every citizen: a channel (one of eight, or null for one in nine) and
/// friends (as many distinct pairs as <paramref name="Relations"/>, chosen apart from them, so some are also relatives).</param>
public sealed record ImportSpec(int Citizens, int Relations, long Seed, int TextLength = 0, bool Links = false);

/// <summary>One citizen as generated (citizen_id = index + 1).</summary>
public readonly record struct CitizenRow(
    int CitizenId, string Town, string Street, string Building, int Apartment, string Name, DateOnly BirthDate, bool Male);

/// <summary>
/// A deterministic import like the contract's data: Russian-looking names, 20 towns, streets and buildings like
/// "16к7стр5", birth dates over 80 years, and symmetric relations. The same spec gives the same bytes on every
/// machine and .NET version (its own SplitMix64, invariant formatting). Citizens are made one at a time from
/// (seed, index), so an import of any size can be written as a stream; only the relations are held in memory.
/// </summary>
public sealed class GeneratedImport
{
    /// <summary>The latest birth date generated; the earliest is 80 years before it.</summary>
    public static readonly DateOnly LatestBirthDate = new(2024, 12, 31);

    private const int BirthDateSpanDays = 80 * 365 + 20;

    private static readonly string[] Towns =
    [
        "Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород", "Челябинск",
        "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск", "Воронеж", "Пермь", "Волгоград", "Краснодар",
        "Саратов", "Тюмень", "Тольятти", "Керчь",
    ];

    private static readonly string[] Streets =
    [
        "Льва Толстого", "Иосифа Бродского", "Ленина", "Гагарина", "Мира", "Советская", "Садовая", "Пушкина",
        "Лесная", "Школьная", "Набережная", "Молодёжная", "Центральная", "Октябрьская", "Заречная", "Полевая",
        "Новая", "Первомайская", "Луговая", "Комсомольская", "Чехова", "Лермонтова", "Строителей", "Победы",
    ];

    private static readonly string[] Surnames =
    [
        "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
        "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
        "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Романов",
    ];

    private static readonly string[] MaleNames =
    [
        "Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай", "Владимир", "Павел", "Евгений",
        "Александр", "Константин", "Юрий", "Олег", "Виктор", "Игорь", "Артём", "Максим", "Денис", "Роман",
    ];

    private static readonly string[] FemaleNames =
    [
        "Мария", "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина", "Юлия",
        "Анастасия", "Дарья", "Ксения", "Людмила", "Галина", "Валентина", "Вера", "Надежда", "Софья", "Полина",
    ];

    private static readonly string[] Patronymics =
    [
        "Иванов", "Сергеев", "Алексеев", "Дмитриев", "Андреев", "Михайлов", "Николаев", "Владимиров", "Павлов",
        "Петров", "Александров", "Юрьев", "Олегов", "Викторов", "Игорев", "Борисов", "Леонидов", "Романов",
    ];

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Raw UTF-8 Cyrillic, as most clients send it (not \uXXXX).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly string?[] Channels = ["instagram", "vk", "telegram", "youtube", "tv", "радио", "наружная реклама", "друзья", null];

    private readonly int[] offsets;
    private readonly int[] relatives;
    private readonly int[] friendOffsets;
    private readonly int[] friends;
    private readonly string[] towns;
    private readonly string[] streets;

    private GeneratedImport(ImportSpec spec, (int[] Offsets, int[] Ids) relatives, (int[] Offsets, int[] Ids) friends)
    {
        Spec = spec;
        (offsets, this.relatives) = relatives;
        (friendOffsets, this.friends) = friends;
        towns = [.. Towns.Select(town => Pad(town, spec.TextLength))];
        streets = [.. Streets.Select(street => Pad(street, spec.TextLength))];
    }

    public ImportSpec Spec { get; }

    public int Count => Spec.Citizens;

    /// <summary>Chooses the relation pairs (the only part held in memory: two int arrays).</summary>
    public static GeneratedImport Create(ImportSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Citizens);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Relations);
        if (spec.TextLength is < 0 or > 256 || spec.TextLength is > 0 and < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.TextLength, "the text length is 0 (natural) or 16 to 256");
        }
        var n = (long)spec.Citizens;
        if (spec.Relations > n * (n - 1) / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.Relations, $"{spec.Citizens} citizens have fewer than {spec.Relations} distinct pairs");
        }
        return new GeneratedImport(spec, Pairs(spec.Citizens, spec.Relations, Mix(spec.Seed, -1)),
            spec.Links ? Pairs(spec.Citizens, spec.Relations, Mix(spec.Seed, -2)) : (new int[spec.Citizens + 1], []));
    }

    /// <summary><paramref name="count"/> distinct pairs of different citizens, as each citizen's ascending citizen_ids (offsets into ids).</summary>
    private static (int[] Offsets, int[] Ids) Pairs(int citizens, int count, ulong seed)
    {
        var random = new SplitMix64(seed);
        var pairs = new HashSet<long>(count);
        var a = new int[count];
        var b = new int[count];
        var degree = new int[citizens + 1];
        while (pairs.Count < count)
        {
            var x = random.Next(citizens);
            var y = random.Next(citizens);
            if (x == y || !pairs.Add(((long)Math.Min(x, y) << 32) | (uint)Math.Max(x, y)))
            {
                continue;
            }
            a[pairs.Count - 1] = x;
            b[pairs.Count - 1] = y;
            degree[x + 1]++;
            degree[y + 1]++;
        }
        for (var i = 1; i < degree.Length; i++)
        {
            degree[i] += degree[i - 1];
        }
        var fill = (int[])degree.Clone();
        var ids = new int[count * 2];
        for (var i = 0; i < count; i++)
        {
            ids[fill[a[i]]++] = b[i] + 1;
            ids[fill[b[i]]++] = a[i] + 1;
        }
        for (var i = 0; i < citizens; i++)
        {
            Array.Sort(ids, degree[i], degree[i + 1] - degree[i]);
        }
        return (degree, ids);
    }

    /// <summary>The citizen_ids of citizen <paramref name="index"/>'s relatives (citizen_id = index + 1), ascending.</summary>
    public ReadOnlySpan<int> RelativesOf(int index) => relatives.AsSpan(offsets[index], offsets[index + 1] - offsets[index]);

    /// <summary>The citizen_ids of citizen <paramref name="index"/>'s friends, ascending (none without <see cref="ImportSpec.Links"/>).</summary>
    public ReadOnlySpan<int> FriendsOf(int index) => friends.AsSpan(friendOffsets[index], friendOffsets[index + 1] - friendOffsets[index]);

    /// <summary>Citizen <paramref name="index"/>'s advertising channel (with <see cref="ImportSpec.Links"/>), from (seed, index) apart from its other fields.</summary>
    public string? ChannelOf(int index) => Channels[new SplitMix64(Mix(Spec.Seed ^ 0xC4A77E1, index)).Next(Channels.Length)];

    public CitizenRow Citizen(int index)
    {
        var random = new SplitMix64(Mix(Spec.Seed, index));
        var town = towns[random.Next(towns.Length)];
        var street = streets[random.Next(streets.Length)];
        var number = 1 + random.Next(200);
        var building = random.Next(4) switch
        {
            0 or 1 => number.ToString(CultureInfo.InvariantCulture),
            2 => string.Create(CultureInfo.InvariantCulture, $"{number}к{1 + random.Next(9)}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{number}к{1 + random.Next(9)}стр{1 + random.Next(9)}"),
        };
        var apartment = 1 + random.Next(500);
        var male = random.Next(2) == 0;
        var surname = Surnames[random.Next(Surnames.Length)];
        var name = male
            ? $"{surname} {MaleNames[random.Next(MaleNames.Length)]} {Patronymics[random.Next(Patronymics.Length)]}ич"
            : $"{surname}а {FemaleNames[random.Next(FemaleNames.Length)]} {Patronymics[random.Next(Patronymics.Length)]}на";
        var birthDate = LatestBirthDate.AddDays(-random.Next(BirthDateSpanDays));
        return new CitizenRow(index + 1, town, street, Pad(building, Spec.TextLength), apartment, Pad(name, Spec.TextLength), birthDate, male);
    }

    /// <summary>Writes <c>{"citizens": [...]}</c> to <paramref name="output"/>, flushing every 64 KiB.</summary>
    public void WriteJson(Stream output)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteStartArray("citizens");
        Span<char> date = stackalloc char[10];
        for (var i = 0; i < Count; i++)
        {
            var citizen = Citizen(i);
            writer.WriteStartObject();
            writer.WriteNumber("citizen_id", citizen.CitizenId);
            writer.WriteString("town", citizen.Town);
            writer.WriteString("street", citizen.Street);
            writer.WriteString("building", citizen.Building);
            writer.WriteNumber("apartment", citizen.Apartment);
            writer.WriteString("name", citizen.Name);
            citizen.BirthDate.TryFormat(date, out _, "dd.MM.yyyy", CultureInfo.InvariantCulture);
            writer.WriteString("birth_date", date);
            writer.WriteString("gender", citizen.Male ? "male" : "female");
            writer.WriteStartArray("relatives");
            foreach (var relative in RelativesOf(i))
            {
                writer.WriteNumberValue(relative);
            }
            writer.WriteEndArray();
            if (Spec.Links)
            {
                writer.WriteStartArray("friends");
                foreach (var friend in FriendsOf(i))
                {
                    writer.WriteNumberValue(friend);
                }
                writer.WriteEndArray();
                writer.WriteString("channel", ChannelOf(i));
            }
            writer.WriteEndObject();
            if (writer.BytesPending > 1 << 16)
            {
                writer.Flush();
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream(Count * 260 + 64);
        WriteJson(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// The rows the service stores for this import, as CSV for PostgreSQL's COPY: citizens (import_id, citizen_id,
    /// town, street, building, apartment, name, birth_date, gender, relatives) with relatives as an array literal
    /// <c>"{2,3}"</c> (migration 0007: relatives live on the citizen's row).
    /// </summary>
    public void WriteCopyCsv(TextWriter citizens, long importId)
    {
        ArgumentNullException.ThrowIfNull(citizens);
        var id = importId.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < Count; i++)
        {
            var c = Citizen(i);
            citizens.Write(id);
            citizens.Write(',');
            citizens.Write(c.CitizenId.ToString(CultureInfo.InvariantCulture));
            foreach (var text in (ReadOnlySpan<string>)[c.Town, c.Street, c.Building])
            {
                citizens.Write(',');
                WriteCsvField(citizens, text);
            }
            citizens.Write(',');
            citizens.Write(c.Apartment.ToString(CultureInfo.InvariantCulture));
            citizens.Write(',');
            WriteCsvField(citizens, c.Name);
            citizens.Write(',');
            citizens.Write(c.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            citizens.Write(c.Male ? ",male,\"{" : ",female,\"{");
            var first = true;
            foreach (var relative in RelativesOf(i))
            {
                if (!first)
                {
                    citizens.Write(',');
                }
                first = false;
                citizens.Write(relative.ToString(CultureInfo.InvariantCulture));
            }
            citizens.Write("}\"\n");
        }
    }

    /// <summary><c>{"relatives": [...]}</c>: 7 citizens other than 1, chosen by (seed, round).</summary>
    public byte[] PatchRelativesBody(int round)
    {
        if (Count < 8)
        {
            throw new InvalidOperationException("the PATCH of citizen 1 to 7 relatives needs at least 8 citizens");
        }
        var random = new SplitMix64(Mix(Spec.Seed ^ 0x5EED, round));
        var chosen = new SortedSet<int>();
        while (chosen.Count < 7)
        {
            chosen.Add(2 + random.Next(Count - 1));
        }
        return Encoding.UTF8.GetBytes("{\"relatives\": [" + string.Join(", ", chosen) + "]}");
    }

    /// <summary>
    /// <paramref name="text"/> made exactly <paramref name="length"/> characters long (0: unchanged), padded with
    /// Cyrillic letters so that every distinct value stays distinct.
    /// </summary>
    private static string Pad(string text, int length)
    {
        if (length == 0 || text.Length == length)
        {
            return text;
        }
        if (text.Length > length)
        {
            return text[..length];
        }
        var builder = new StringBuilder(text, length);
        builder.Append(' ');
        while (builder.Length < length)
        {
            builder.Append('ё');
        }
        return builder.ToString();
    }

    private static void WriteCsvField(TextWriter writer, string text)
    {
        if (text.AsSpan().IndexOfAny(",\"\n\r") < 0)
        {
            writer.Write(text);
            return;
        }
        writer.Write('"');
        writer.Write(text.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }

    private static ulong Mix(long seed, long index) => (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(index + 1) * 0xBF58476D1CE4E5B9UL;

    /// <summary>SplitMix64: small, fast, and the same everywhere (System.Random's seeded sequence is not a promise).</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong state = seed;

        public ulong NextUInt64()
        {
            var z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>0 ≤ result &lt; <paramref name="max"/> (the modulo bias is negligible for these ranges).</summary>
        public int Next(int max) => (int)(NextUInt64() % (ulong)max);
    }
}
