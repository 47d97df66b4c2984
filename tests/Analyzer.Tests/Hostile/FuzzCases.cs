using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Hostile;

/// <summary>
/// The fuzz cases, as FsCheck generators over <see cref="FuzzTargets"/>: valid bodies mutated (flipped bytes,
/// truncation, type swaps, extreme numbers, Unicode edge cases, duplicate keys, huge arrays, stray tokens) for
/// POST /imports, PATCH of a citizen and the dataset row bodies; CSV uploads with random names, headers, quoting,
/// delimiters and encodings; random query strings, path ids and headers on the GET endpoints; random and tampered
/// JWTs. <see cref="Sample"/> draws them from a fixed seed, so that a run is repeatable. Mutations choose their
/// positions with a <see cref="Random"/> seeded by the generator: positions depend on the body, which a generator
/// cannot know in advance.
/// </summary>
public static partial class FuzzCases
{
    /// <summary><paramref name="count"/> cases from <paramref name="seed"/>: the same seed, the same cases.</summary>
    public static IReadOnlyList<FuzzRequest> Sample(FuzzTargets targets, ulong seed, int count, long nowUnixSeconds) =>
        Any(targets, nowUnixSeconds).Sample(count, new Rnd(seed), 20);

    public static Gen<FuzzRequest> Any(FuzzTargets targets, long now) => Gen.Frequency(
        (20, ImportBodies()),
        (14, PatchBodies(targets)),
        (10, CsvUploads()),
        (8, RowBodies(targets)),
        (24, QueryStrings(targets)),
        (10, HeaderCases(targets)),
        (14, TokenCases(targets, now)));

    // ---- JSON bodies -------------------------------------------------------------------------------------------

    public const string ValidImport =
        """{"citizens": [{"citizen_id": 1, "town": "Moscow", "street": "Lenina", "building": "16k7s", "apartment": 7, "name": "Ivanov Ivan", "birth_date": "26.12.1986", "gender": "male", "relatives": [2]}, {"citizen_id": 2, "town": "Moscow", "street": "Lenina", "building": "16k7s", "apartment": 7, "name": "Ivanova Anna", "birth_date": "01.04.1990", "gender": "female", "relatives": [1]}, {"citizen_id": 3, "town": "Kazan", "street": "Bauman", "building": "2", "apartment": 1, "name": "Petrov Petr", "birth_date": "12.12.2000", "gender": "male", "relatives": []}]}""";

    public const string ValidPatch =
        """{"name": "Ivanova Maria", "town": "Kerch", "street": "Lenina", "building": "1", "apartment": 2, "birth_date": "02.03.1991", "gender": "female", "relatives": [1, 3]}""";

    public const string ValidRow = """{"n": 5, "label": "five", "d": "2024-05-01", "x": 1.5}""";

    private static Gen<FuzzRequest> ImportBodies() =>
        from body in Mutated(ValidImport)
        select new FuzzRequest("import body", "POST", "/imports", body, "application/json");

    private static Gen<FuzzRequest> PatchBodies(FuzzTargets targets) =>
        from body in Mutated(ValidPatch)
        from citizen in Gen.Frequency((9, Gen.Constant(targets.CitizenId.ToString(CultureInfo.InvariantCulture))), (1, Gen.Elements(PathIds)))
        select new FuzzRequest("patch body", "PATCH", $"/imports/{targets.ImportId}/citizens/{citizen}", body, "application/json");

    private static Gen<FuzzRequest> RowBodies(FuzzTargets targets) =>
        from body in Mutated(ValidRow)
        from target in Gen.Elements(
            ("PUT", $"/datasets/{targets.Dataset}/rows"),
            ("PATCH", $"/datasets/{targets.Dataset}/rows/1"),
            ("POST", "/auth/revocations"))
        select new FuzzRequest("row body", target.Item1, target.Item2, body, "application/json");

    /// <summary>A valid body, mutated once or twice.</summary>
    public static Gen<byte[]> Mutated(string valid) =>
        from times in Gen.Frequency((4, Gen.Constant(1)), (1, Gen.Constant(2)))
        from mutations in Gen.ListOf(Mutation, times)
        from seed in Gen.Choose(0, int.MaxValue)
        select mutations.Aggregate(Encoding.UTF8.GetBytes(valid), (body, mutate) => mutate(body, new System.Random(seed)));

    private static Gen<Func<byte[], System.Random, byte[]>> Mutation => Gen.Frequency<Func<byte[], System.Random, byte[]>>(
        (3, Gen.Constant<Func<byte[], System.Random, byte[]>>(FlipBytes)),
        (2, Gen.Constant<Func<byte[], System.Random, byte[]>>(Truncate)),
        (4, Gen.Elements(SwappedTypes).Select(Replacing(Values()))),
        (4, Gen.Elements(ExtremeNumbers).Select(Replacing(Numbers()))),
        (5, Gen.Elements(UnicodeEdges).Select(Replacing(Strings()))),
        (3, Gen.Elements(SwappedTypes.Concat(ExtremeNumbers).ToArray()).Select(DuplicatingKey)),
        (2, Gen.Elements(HugeArrays).Select(Replacing(Arrays()))),
        (2, Gen.Elements(StrayTokens).Select(Inserting)));

    private static byte[] FlipBytes(byte[] body, System.Random random)
    {
        var flipped = (byte[])body.Clone();
        for (var i = random.Next(1, 5); i > 0 && flipped.Length > 0; i--)
        {
            flipped[random.Next(flipped.Length)] ^= (byte)random.Next(1, 256);
        }
        return flipped;
    }

    private static byte[] Truncate(byte[] body, System.Random random) => body[..random.Next(body.Length)];

    /// <summary>Replaces one match of <paramref name="pattern"/> (chosen at random) with <paramref name="replacement"/>.</summary>
    private static Func<byte[], Func<byte[], System.Random, byte[]>> ReplacingBytes(Regex pattern) => replacement => (body, random) =>
    {
        // Latin-1 maps bytes to chars one to one: positions in the text are positions in the body.
        var matches = pattern.Matches(Encoding.Latin1.GetString(body));
        if (matches.Count == 0)
        {
            return [.. body, .. replacement];
        }
        var match = matches[random.Next(matches.Count)];
        return [.. body[..match.Index], .. replacement, .. body[(match.Index + match.Length)..]];
    };

    private static Func<string, Func<byte[], System.Random, byte[]>> Replacing(Regex pattern) =>
        replacement => ReplacingBytes(pattern)(Encoding.Latin1.GetBytes(replacement));

    private static Func<byte[], System.Random, byte[]> Inserting(string token) => (body, random) =>
    {
        var at = random.Next(body.Length + 1);
        return [.. body[..at], .. Encoding.UTF8.GetBytes(token), .. body[at..]];
    };

    /// <summary>Writes the key of a random member again before it, with another value: <c>{"k": X, "k": original}</c>.</summary>
    private static Func<byte[], System.Random, byte[]> DuplicatingKey(string value) => (body, random) =>
    {
        var matches = Keys().Matches(Encoding.Latin1.GetString(body));
        if (matches.Count == 0)
        {
            return body;
        }
        var match = matches[random.Next(matches.Count)];
        var duplicate = Encoding.Latin1.GetBytes($"{match.Groups["key"].Value}: {value}, ");
        return [.. body[..match.Index], .. duplicate, .. body[match.Index..]];
    };

    [GeneratedRegex("""(?<key>"(?:[^"\\]|\\.)*")\s*:""")]
    private static partial Regex Keys();

    [GeneratedRegex("""(?<=:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|\[[^\[\]{}]*\]|true|false|null)""")]
    private static partial Regex Values();

    [GeneratedRegex("""(?<=[:\[,]\s*)-?\d+(?:\.\d+)?""")]
    private static partial Regex Numbers();

    [GeneratedRegex("(?<=[:\\[,{]\\s*)\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex("""\[[^\[\]{}]*\]""")]
    private static partial Regex Arrays();

    private static readonly string[] SwappedTypes =
        ["\"1\"", "1", "0", "true", "false", "null", "[]", "{}", "[1, 2]", "{\"a\": 1}", "\"text\"", "1.0", "-1", "\"\"", "[null]", "[\"1\"]", "[[1]]"];

    private static readonly string[] ExtremeNumbers =
    [
        "1e309", "-1e309", "1e-400", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483647", "2147483648", "-2147483649", "4294967296", "0", "-0", "1.0", "1.5", "0.1e1", "1E2", "00", "01", "0x10",
        "Infinity", "-Infinity", "NaN", "-", "1_000", "+1", ".5", "5.", "1e", new string('9', 400), "-" + new string('9', 400),
        "1" + new string('0', 40) + "e-40", "4.9e-324", "1.7976931348623157e308",
    ];

    /// <summary>As JSON string literals (quotes included) in Latin-1: each char is one byte of the body.</summary>
    private static readonly string[] UnicodeEdges =
    [
        "\"\\ud800\"", "\"\\udfff\"", "\"a\\udc00\\ud800b\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\0\"", "\"a\u00c0\u00afb\"" /* overlong '/' */,
        "\"\u00e0\u0080\u00af\"" /* overlong, 3 bytes */, "\"\u00f8\u0088\u0080\u0080\u0080\"" /* 5-byte form */, "\"\u00ed\u00a0\u0080\"" /* UTF-8 surrogate */,
        "\"\u00ff\"", "\"\u00fe\u00ff\"", "\"\u00ef\u00bb\u00bfa\"" /* BOM */, Utf8Literal("\u202egnp.exe"), Utf8Literal("a\u200bb"),
        Utf8Literal("\U0001D538\U0001F600"), Utf8Literal("e" + string.Concat(Enumerable.Repeat("\u0301", 500))), Utf8Literal("\uff4e\uff41\uff4d\uff45"),
        Utf8Literal("\u041c\u043e\u0441\u043a\u0432\u0430") /* Cyrillic */, Utf8Literal("M\u043esc\u043ew") /* Cyrillic o look-alikes */,
        "\"\u001f\"", "\"\\\"", "\"\\u12\"", "\"\\x41\"", "\"\\q\"", "\"" + new string('x', 100_000) + "\"", "\"\u0080\"", "\"\u00c3\"",
        Utf8Literal("'; DROP TABLE citizens; --"), Utf8Literal("\"); DELETE FROM imports; --"), Utf8Literal("/*"), Utf8Literal("\ufffd\ufeff"),
        "\"\\uDBFF\\uDFFF\"", "\"\\uD83D\\uDE00\"",
    ];

    private static string Utf8Literal(string text) => "\"" + Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text.Replace("\"", "\\\"", StringComparison.Ordinal))) + "\"";

    private static readonly string[] HugeArrays =
    [
        "[" + string.Join(",", Enumerable.Range(1, 5_000)) + "]",
        "[" + string.Join(",", Enumerable.Repeat("1", 20_000)) + "]",
        "[" + string.Join(",", Enumerable.Repeat("\"a\"", 5_000)) + "]",
        "[" + string.Join(",", Enumerable.Repeat("{}", 5_000)) + "]",
        new string('[', 1_000) + new string(']', 1_000),
        new string('[', 70) + new string(']', 70),
        "[" + string.Join(",", Enumerable.Repeat("null", 10_000)) + "]",
    ];

    private static readonly string[] StrayTokens = [",", "]", "}", ":", "\"", "{", "[", "\\", " ", "/*c*/", "//", "\0", "\r\n", "\u00a0", ",,", "1", "null"];

    // ---- CSV uploads -------------------------------------------------------------------------------------------

    private static readonly string[] ColumnNames =
    [
        "a", "name", "n", "label", "a\"b", "\"quoted\"", "x; DROP TABLE imports; --", "--comment", "/* c */", "n\u0430me" /* Cyrillic a */,
        "\uff4e\uff41\uff4d\uff45", "", " ", "rowid", "id", "_deleted", "deleted", new string('c', 300), "a\0b", "line\nbreak", "\U0001F600",
        "DROP TABLE citizens", "select", "order", "a,b", "'", "`x`", "[x]", "$1", "?", "@p", ";", "1col", "Ä", "\t",
    ];

    private static readonly string[] Cells =
    [
        "1", "-1", "0", "1.5", "1e309", "9223372036854775808", "-9223372036854775809", "NaN", "2024-05-01", "0001-01-01", "9999-12-31",
        "2024-13-45", "2024-05-01T10:00:00Z", "true", "false", "", "x", "a\"b", "a,b", "line\nbreak", "\0", "\U0001F600", "\ud800",
        "'; DROP TABLE imports; --", "55.75", "37.61", "-91", "181", "  1  ", "1,5", new string('v', 5_000),
    ];

    private static readonly string[] DatasetNames =
    [
        "x; DROP TABLE imports; --", "a\"b", "a'b", "--", "/* c */", "n\u0430me", "imports", "citizens", "sqlite_master", "pg_catalog",
        "datasets", "../etc", "..", ".", "a/b", "a%2Fb", "", " ", new string('n', 200), "UPPER", "1abc", "\U0001F600", "a\0b", "%00", "a b",
        "select", "a.b",
    ];

    private static readonly string[] FileNames =
    [
        "a.csv", "../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "%2e%2e%2fpasswd", "....//....//x.csv", "a.csv;.exe",
        new string('f', 1_000) + ".csv", "con", "x\u202evsc.exe", "", ".", "..", "~/.ssh/id_rsa", "a\tb.csv",
    ];

    private static Gen<FuzzRequest> CsvUploads() =>
        from width in Gen.Choose(1, 5)
        from header in Gen.ArrayOf(Gen.Elements(ColumnNames), width)
        from rows in Gen.ListOf(Gen.ArrayOf(Gen.Elements(Cells), width)).Select(r => r.Take(6).ToArray())
        from ragged in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        from delimiter in Gen.Elements(",", ";", "\t", "|")
        from newline in Gen.Elements("\n", "\r\n", "\r")
        from quoting in Gen.Elements(Quoting.None, Quoting.All, Quoting.Random, Quoting.Broken)
        from encoding in Gen.Elements("utf-8", "utf-8-bom", "utf-16", "latin-1", "flipped")
        from name in Gen.Frequency(
            (3, Gen.Choose(0, int.MaxValue).Select(n => "fz_" + n.ToString("x8", CultureInfo.InvariantCulture))),
            (2, Gen.Elements(DatasetNames)))
        from transport in Gen.Elements("raw", "raw", "multipart", "json", "none")
        from fileName in Gen.Elements(FileNames)
        from parameters in Gen.Elements("", "&delimiter=%3B", "&header=false", "&header=maybe", "&null=NA", "&decimal=%2C", "&lat=n&lon=label",
            "&columns=a:int,b:text", "&columns=%22;DROP", "&delimiter=%00", "&delimiter=ab")
        from seed in Gen.Choose(0, int.MaxValue)
        select CsvUpload(Csv(header, rows, ragged, delimiter, newline, quoting, new System.Random(seed)), encoding, name, transport, fileName, parameters, seed);

    private enum Quoting { None, All, Random, Broken }

    private static string Csv(string[] header, string[][] rows, bool ragged, string delimiter, string newline, Quoting quoting, System.Random random)
    {
        string Cell(string value) => (quoting, random.Next(3)) switch
        {
            (Quoting.All, _) or (Quoting.Random, 0) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"",
            (Quoting.Broken, 0) => "\"" + value,
            (Quoting.Broken, 1) => value + "\"x",
            _ => value,
        };
        var lines = new[] { header }.Concat(rows).Select((cells, i) =>
            string.Join(delimiter, (ragged && i > 0 ? cells[..random.Next(cells.Length + 1)] : cells).Select(Cell)));
        return string.Join(newline, lines) + (random.Next(2) == 0 ? newline : "");
    }

    private static FuzzRequest CsvUpload(string csv, string encoding, string name, string transport, string fileName, string parameters, int seed)
    {
        byte[] bytes = encoding switch
        {
            "utf-8-bom" => [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv)],
            "utf-16" => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(csv)],
            "latin-1" => Encoding.Latin1.GetBytes(csv),
            "flipped" => FlipBytes(Encoding.UTF8.GetBytes(csv), new System.Random(seed)),
            _ => Encoding.UTF8.GetBytes(csv),
        };
        var path = $"/datasets?name={Uri.EscapeDataString(name)}{parameters}";
        return transport switch
        {
            "multipart" => new FuzzRequest("csv upload", "POST", path, Multipart(bytes, fileName), "multipart/form-data; boundary=FUZZ"),
            "json" => new FuzzRequest("csv upload", "POST", path, bytes, "application/json"),
            "none" => new FuzzRequest("csv upload", "POST", path, bytes),
            _ => new FuzzRequest("csv upload", "POST", path, bytes, "text/csv"),
        };
    }

    private static byte[] Multipart(byte[] csv, string fileName) =>
    [
        .. Encoding.UTF8.GetBytes($"--FUZZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName.Replace("\"", "\\\"", StringComparison.Ordinal)}\"\r\nContent-Type: text/csv\r\n\r\n"),
        .. csv,
        .. "\r\n--FUZZ--\r\n"u8,
    ];

    // ---- Query strings, path ids, headers ----------------------------------------------------------------------

    private static readonly string[] PathIds =
        ["0", "-1", "99999999999999999999", "9223372036854775807", "2147483648", "1e3", "abc", "%00", "..", "%2e%2e", "1;DROP", "1%20", "01", "+1", "\u0661"];

    private static string[] ReadPaths(FuzzTargets t) =>
    [
        $"/imports/{t.ImportId}/citizens", $"/imports/{t.ImportId}/citizens/birthdays", $"/imports/{t.ImportId}/towns/stat/percentile/age",
        $"/imports/{t.ImportId}/citizens/courses", $"/imports/{t.ImportId}/stat/demand", $"/imports/{t.ImportId}/towns/airports",
        "/imports", $"/imports/{t.ImportId}", "/datasets", $"/datasets/{t.Dataset}", $"/datasets/{t.Dataset}/ddl", $"/datasets/{t.Dataset}/rows",
        $"/datasets/{t.Dataset}/rows/1", $"/datasets/{t.Dataset}/rows/1/nearby", $"/datasets/{t.Dataset}/rows/create", $"/datasets/{t.Dataset}/rows/1/update",
        "/health", "/health/ready", "/", "/openapi/v1.json", "/docs/index.html",
    ];

    private static readonly string[] QueryKeys =
    [
        "order_by", "limit", "offset", "page", "by", "age_groups", "near", "within_km", "include_deleted", "after", "sort", "town", "channel",
        "n", "label", "d", "x", "deleted", "id", "n\u0430me", "a\"b", "x;DROP TABLE imports;--", "", "%00", "%zz", "label%00", "__proto__",
        "limit[]", "order_by[0]",
    ];

    private static readonly string[] QueryValues =
    [
        "", "1", "0", "-1", "99999999999999999999", "1e3", "1.5", "NaN", "n", "-n", "label", "d,desc", "n desc", "x;DROP TABLE imports;--",
        "\" OR 1=1 --", "' OR '1'='1", "/**/", "n\u0430me", "%00", "%zz", "%c0%af", "%ff", "%ed%a0%80", "%f0%9f%98%80", "+", "a+b", "=",
        "town,age_group,channel", "town,town", "0-10,10-200", "200-10", "10-", "-5", "1,2", "55.7,37.6", "91,181", "1,2,3",
        "2024-05-01", "0001-01-01", "true", "yes", new string('q', 3_000), "%E2%80%AE", "*", "%", "\\", "[]", "{}",
    ];

    private static Gen<string> QueryString =>
        from pairs in Gen.ListOf(Gen.Zip(Gen.Elements(QueryKeys), Gen.Elements(QueryValues))).Select(p => p.Take(4).ToArray())
        from escape in Gen.Elements(true, false)
        select pairs.Length == 0 ? "" : "?" + string.Join("&", pairs.Select(p => escape && !p.Item2.Contains('%')
            ? Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2)
            : p.Item1 + "=" + p.Item2));

    private static Gen<string> ReadPath(FuzzTargets targets) => Gen.Frequency(
        (6, Gen.Elements(ReadPaths(targets))),
        (1, from id in Gen.Elements(PathIds)
            from template in Gen.Elements("/imports/{0}/citizens", "/imports/{0}/citizens/birthdays", "/imports/{0}", "/datasets/{0}",
                "/datasets/{0}/rows", "/imports/" + targets.ImportId + "/citizens/{0}", $"/datasets/{targets.Dataset}/rows/{{0}}")
            select string.Format(CultureInfo.InvariantCulture, template, id)));

    private static Gen<FuzzRequest> QueryStrings(FuzzTargets targets) =>
        from path in ReadPath(targets)
        from query in QueryString
        select new FuzzRequest("query string", "GET", path + query);

    private static readonly string[] HeaderNames =
        ["Accept", "Accept-Encoding", "Accept-Language", "If-None-Match", "If-Modified-Since", "Range", "X-Request-Id", "Origin", "Cookie",
         "X-Forwarded-For", "X-Forwarded-Proto", "Forwarded", "Content-Type", "Accept-Charset", "X-Http-Method-Override", "Expect", "TE"];

    private static readonly string[] HeaderValues =
    [
        "*/*", "text/html", "application/json;q=0", "application/xml", "text/csv", "application/problem+json", "image/*;q=garbage", "a/b/c",
        "gzip", "br;q=2", "deflate, compress", "identity;q=0", "*;q=0", "gzip;q=0.5, br;q=1.0, x;q=", "\"etag\"", "W/\"1\"", "*",
        "bytes=0-1", "bytes=-5", "bytes=9999999999999999999-", "items=0-10", "Tue, 01 Dec 2099 00:00:00 GMT", "yesterday",
        "a", new string('r', 200), "../../etc/passwd", "x;DROP TABLE imports;--", "null", "http://evil.example", "1.2.3.4, ::1, garbage",
        "for=\"[::1]\";proto=https", "DELETE", "100-continue", "trailers", "\u00e9", "a\u00ffb", "=?utf-8?b?w6k=?=", new string('h', 8_000),
    ];

    private static Gen<FuzzRequest> HeaderCases(FuzzTargets targets) =>
        from path in ReadPath(targets)
        from headers in Gen.ListOf(Gen.Zip(Gen.Elements(HeaderNames), Gen.Elements(HeaderValues)))
            .Select(h => h.Take(5).Select(p => KeyValuePair.Create(p.Item1, p.Item2)).ToArray())
        from method in Gen.Frequency((8, Gen.Constant("GET")), (1, Gen.Elements("DELETE", "TRACE", "PROPFIND", "OPTIONS", "PUT")))
        select new FuzzRequest("headers", method, method == "DELETE" ? "/imports/999999999" : path, Headers: headers);

    // ---- Tokens -------------------------------------------------------------------------------------------------

    private static Gen<FuzzRequest> TokenCases(FuzzTargets targets, long now) =>
        from token in Gen.OneOf(TamperedToken(targets), CraftedToken(targets, now), Gen.Elements(GarbageAuthorizations))
        from target in Gen.Frequency(
            (4, ReadPath(targets).Select(path => ("GET", path, (byte[]?)null))),
            (1, Gen.Constant(("POST", "/imports", (byte[]?)Encoding.UTF8.GetBytes(ValidImport)))),
            (1, Gen.Constant(("DELETE", "/imports/999999999", (byte[]?)null))),
            (1, Gen.Constant(("POST", "/auth/revocations", (byte[]?)"""{"jti": "fuzz-revoked"}"""u8.ToArray()))))
        select new FuzzRequest("token", target.Item1, target.Item2, target.Item3, target.Item3 is null ? null : "application/json", Authorization: token);

    private static Gen<string> TamperedToken(FuzzTargets targets) =>
        from seed in Gen.Choose(0, int.MaxValue)
        from how in Gen.Choose(0, 7)
        select "Bearer " + Tamper(targets.ValidToken, how, new System.Random(seed));

    private static string Tamper(string token, int how, System.Random random)
    {
        var parts = token.Split('.');
        var chars = token.ToCharArray();
        var at = random.Next(chars.Length);
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
        return how switch
        {
            0 => new string([.. chars[..at], Alphabet[random.Next(Alphabet.Length)], .. chars[(at + 1)..]]),
            1 => token[..at],
            2 => parts[0] + "." + parts[1] + ".",
            3 => parts[1] + "." + parts[0] + "." + parts[2],
            4 => token + "." + parts[2],
            5 => parts[0] + "." + FuzzTokens.Base64Url("{\"scope\":\"analyzer:admin\",\"exp\":99999999999}") + "." + parts[2],
            6 => token.ToUpperInvariant(),
            _ => token + new string('A', random.Next(1, 5_000)),
        };
    }

    private static Gen<string> CraftedToken(FuzzTargets targets, long now)
    {
        var claims = FuzzTokens.ValidClaims(targets, now);
        string[] headers =
        [
            """{"alg":"HS256","typ":"JWT"}""", """{"alg":"none","typ":"JWT"}""", """{"alg":"HS512"}""", """{"alg":"RS256"}""", """{"alg":"ES256"}""",
            """{"alg":"HS256","kid":"../../../../etc/passwd"}""", """{"alg":"HS256","jku":"http://127.0.0.1:1/keys"}""", """{"alg":"HS256","crit":["exp"]}""",
            """{"alg":"HS256","typ":"JWT","alg":"none"}""", """{"alg":["HS256"]}""", """{}""", "[]", "not json", """{"alg":"HS256","x5u":"file:///etc/passwd"}""",
        ];
        string[] payloads =
        [
            "{" + claims + "}", "{" + claims.Replace($"\"exp\":{now + 3600}", "\"exp\":\"tomorrow\"", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"exp\":{now + 3600}", "\"exp\":1e20", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"exp\":{now + 3600}", "\"exp\":99999999999999999999999", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"exp\":{now + 3600}", "\"exp\":-1", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"nbf\":{now}", "\"nbf\":253402300800", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"scope\":\"analyzer:read analyzer:write analyzer:admin\"", "\"scope\":42", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"scope\":\"analyzer:read analyzer:write analyzer:admin\"", "\"scope\":[\"analyzer:read\",{\"a\":1}]", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"jti\":\"fuzz\"", "\"jti\":\"a\\u0000b\"", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"jti\":\"fuzz\"", "\"jti\":" + "\"" + new string('j', 5_000) + "\"", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"jti\":\"fuzz\"", "\"jti\":{\"a\":[1,2]}", StringComparison.Ordinal) + "}",
            "{" + claims.Replace("\"sub\":\"fuzz\"", "\"sub\":\"\\ud800\"", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"aud\":\"{targets.Audience}\"", "\"aud\":[\"x\",null,1]", StringComparison.Ordinal) + "}",
            "{" + claims.Replace($"\"iss\":\"{targets.Issuer}\"", "\"iss\":\"https://evil.example\"", StringComparison.Ordinal) + "}",
            "{" + claims + "," + claims + "}", "{}", "null", "[1]", "\"x\"", "{" + claims + ",\"exp\":0}",
        ];
        return from header in Gen.Elements(headers)
               from payload in Gen.Elements(payloads)
               from signed in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
               select "Bearer " + FuzzTokens.Sign(header, payload, signed ? targets.Secret : null);
    }

    private static readonly string[] GarbageAuthorizations =
    [
        "", "Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer ...", "Bearer \u00e9.\u00e9.\u00e9", "Digest x",
        "Bearer " + new string('a', 10_000), "Bearer eyJhbGciOiJIUzI1NiJ9", "Bearer eyJ.eyJ.eyJ", "Bearer %00", "Bearer a b c", "Negotiate YII=",
    ];
}
