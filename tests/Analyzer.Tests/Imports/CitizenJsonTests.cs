using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Analyzer.Imports;

namespace Analyzer.Tests.Imports;

/// <summary>
/// Section 1 (and the body rules of section 2) of the contract, checked on <see cref="CitizenJson"/> alone:
/// no server, no database, a fixed "today".
/// </summary>
public sealed class CitizenJsonTests
{
    private static readonly DateOnly Today = new(2026, 11, 21);

    // ---- helpers -------------------------------------------------------------------------------

    private static ReadOnlySequence<byte> Bytes(string json) => new(Encoding.UTF8.GetBytes(json));

    private static (Citizen[]? Citizens, ValidationErrors Errors) Import(string json)
    {
        var errors = new ValidationErrors();
        var citizens = CitizenJson.ReadImport(Bytes(json), Today, errors);
        return (citizens, errors);
    }

    private static (CitizenPatch? Patch, ValidationErrors Errors) Patch(string json)
    {
        var errors = new ValidationErrors();
        var patch = CitizenJson.ReadPatch(Bytes(json), Today, errors);
        return (patch, errors);
    }

    /// <summary>A JSON string literal, every non-ASCII character escaped (the reader must unescape it).</summary>
    private static string Str(string value) => JsonSerializer.Serialize(value);

    private static readonly (string Field, string Raw)[] Defaults =
    [
        ("citizen_id", "1"),
        ("town", Str("Москва")),
        ("street", Str("Льва Толстого")),
        ("building", Str("16к7стр5")),
        ("apartment", "7"),
        ("name", Str("Иванов Иван Иванович")),
        ("birth_date", Str("26.12.1986")),
        ("gender", Str("male")),
        ("relatives", "[]"),
    ];

    /// <summary>
    /// A citizen as JSON text: the defaults above, with each change replacing a field's raw JSON value,
    /// adding a field that is not a default, or (raw <c>null</c>) removing it.
    /// </summary>
    private static string Citizen(params (string Field, string? Raw)[] changes)
    {
        var fields = Defaults.Select(d => (d.Field, Raw: (string?)d.Raw)).ToList();
        foreach (var (field, raw) in changes)
        {
            var index = fields.FindIndex(f => f.Field == field);
            if (index >= 0)
            {
                fields[index] = (field, raw);
            }
            else
            {
                fields.Add((field, raw));
            }
        }
        return "{" + string.Join(", ", fields.Where(f => f.Raw is not null).Select(f => $"{Str(f.Field)}: {f.Raw}")) + "}";
    }

    private static string Citizen(int id, string relatives, params (string Field, string? Raw)[] changes) =>
        Citizen([("citizen_id", id.ToString(CultureInfo.InvariantCulture)), ("relatives", relatives), .. changes]);

    private static string Body(params string[] citizens) => "{\"citizens\": [" + string.Join(", ", citizens) + "]}";

    private static string Describe(ValidationErrors errors) =>
        string.Join("; ", errors.ToDictionary().Select(pair => $"{pair.Key}: {string.Join(" | ", pair.Value)}"));

    private static void AssertValid(string json)
    {
        var (citizens, errors) = Import(json);
        Assert.True(errors.IsEmpty, $"expected a valid import, got errors: {Describe(errors)}");
        Assert.NotNull(citizens);
    }

    /// <summary>The import is rejected, with errors at exactly these JSON paths, each with a non-empty message.</summary>
    private static void AssertErrorsAt(string json, params string[] paths)
    {
        var (citizens, errors) = Import(json);
        AssertErrors(citizens, errors, paths);
    }

    private static void AssertPatchErrorsAt(string json, params string[] paths)
    {
        var (patch, errors) = Patch(json);
        AssertErrors(patch, errors, paths);
    }

    private static void AssertErrors(object? result, ValidationErrors errors, string[] paths)
    {
        Assert.Null(result);
        Assert.False(errors.IsEmpty);
        var byPath = errors.ToDictionary();
        Assert.True(
            paths.Order(StringComparer.Ordinal).SequenceEqual(byPath.Keys.Order(StringComparer.Ordinal)),
            $"expected errors at [{string.Join(", ", paths)}], got: {Describe(errors)}");
        Assert.All(byPath.Values.SelectMany(m => m), message => Assert.False(string.IsNullOrWhiteSpace(message)));
    }

    // ---- valid imports -------------------------------------------------------------------------

    [Fact]
    public void Contract_example_parses_to_the_right_citizens()
    {
        var json = """
            {"citizens": [
              {"citizen_id": 1, "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7,
               "name": "Иванов Иван Иванович", "birth_date": "26.12.1986", "gender": "male", "relatives": [2]},
              {"relatives": [1], "gender": "male", "birth_date": "01.04.1997", "name": "Иванов Сергей Иванович",
               "apartment": 7, "building": "16к7стр5", "street": "Льва Толстого", "town": "Москва", "citizen_id": 2},
              {"citizen_id": 3, "town": "Керчь", "street": "Иосифа Бродского", "building": "2", "apartment": 11,
               "name": "Романова Мария Леонидовна", "birth_date": "23.11.1986", "gender": "female", "relatives": []}
            ]}
            """;
        var (citizens, errors) = Import(json);

        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.NotNull(citizens);
        Assert.Equal(3, citizens.Length);

        var first = citizens[0];
        Assert.Equal(1, first.CitizenId);
        Assert.Equal("Москва", first.Town);
        Assert.Equal("Льва Толстого", first.Street);
        Assert.Equal("16к7стр5", first.Building);
        Assert.Equal(7, first.Apartment);
        Assert.Equal("Иванов Иван Иванович", first.Name);
        Assert.Equal(new DateOnly(1986, 12, 26), first.BirthDate);
        Assert.Equal(Gender.Male, first.Gender);
        Assert.Equal([2], first.Relatives);

        var second = citizens[1];
        Assert.Equal(2, second.CitizenId);
        Assert.Equal("Иванов Сергей Иванович", second.Name);
        Assert.Equal(new DateOnly(1997, 4, 1), second.BirthDate);
        Assert.Equal([1], second.Relatives);

        var third = citizens[2];
        Assert.Equal(3, third.CitizenId);
        Assert.Equal("Керчь", third.Town);
        Assert.Equal("Иосифа Бродского", third.Street);
        Assert.Equal("2", third.Building);
        Assert.Equal(11, third.Apartment);
        Assert.Equal("Романова Мария Леонидовна", third.Name);
        Assert.Equal(new DateOnly(1986, 11, 23), third.BirthDate);
        Assert.Equal(Gender.Female, third.Gender);
        Assert.Empty(third.Relatives);
    }

    [Fact]
    public void Escaped_strings_are_unescaped()
    {
        var (citizens, errors) = Import(Body(Citizen(("name", "\"\\u0418\\u0432\\u0430\\u043d \\\"\\u2116 1\\\"\""))));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal("Иван \"№ 1\"", Assert.Single(citizens!).Name);
    }

    [Fact]
    public void Empty_citizens_list_is_a_valid_import()
    {
        var (citizens, errors) = Import("""{"citizens": []}""");
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.NotNull(citizens);
        Assert.Empty(citizens);
    }

    [Fact]
    public void Whitespace_around_the_body_is_allowed() =>
        AssertValid("  \r\n\t{ \"citizens\" : [ ] }\n  ");

    [Fact]
    public void Self_relative_is_valid()
    {
        var (citizens, errors) = Import(Body(Citizen(5, "[5]")));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal([5], Assert.Single(citizens!).Relatives);
    }

    [Fact]
    public void Mutual_relations_among_three_citizens_are_valid() =>
        AssertValid(Body(Citizen(1, "[2, 3]"), Citizen(2, "[3, 1]"), Citizen(3, "[1, 2, 3]")));

    [Fact]
    public void Gender_female_is_valid()
    {
        var (citizens, errors) = Import(Body(Citizen(("gender", Str("female")))));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(Gender.Female, Assert.Single(citizens!).Gender);
    }

    // ---- the body's shape ------------------------------------------------------------------------

    [Fact]
    public void Missing_citizens_is_an_error_at_citizens() =>
        AssertErrorsAt("{}", "citizens");

    [Fact]
    public void Unknown_top_level_key_is_an_error_at_that_key() =>
        AssertErrorsAt("""{"citizens": [], "extra": 1}""", "extra");

    [Fact]
    public void Unknown_top_level_key_before_citizens_is_an_error_at_that_key() =>
        AssertErrorsAt("""{"import_id": {"a": [1, 2]}, "citizens": []}""", "import_id");

    [Fact]
    public void Duplicate_citizens_key_is_an_error_at_citizens() =>
        AssertErrorsAt("""{"citizens": [], "citizens": []}""", "citizens");

    [Theory]
    [InlineData("""{"citizens": null}""")]
    [InlineData("""{"citizens": {}}""")]
    [InlineData("""{"citizens": "[]"}""")]
    [InlineData("""{"citizens": 1}""")]
    public void Citizens_that_is_not_an_array_is_an_error_at_citizens(string json) =>
        AssertErrorsAt(json, "citizens");

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"citizens\"")]
    [InlineData("1")]
    public void Body_that_is_not_an_object_is_an_error_at_the_root(string json) =>
        AssertErrorsAt(json, "$");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("""{"citizens": [""")]
    [InlineData("""{"citizens": [}""")]
    [InlineData("""{"citizens": [],}""")]
    [InlineData("""{"citizens": [] /* comment */}""")]
    [InlineData("""{'citizens': []}""")]
    [InlineData("""{citizens: []}""")]
    [InlineData("""{"citizens": [{"citizen_id": 1,}]}""")]
    public void Malformed_json_is_an_error_at_the_root(string json) =>
        AssertErrorsAt(json, "$");

    [Theory]
    [InlineData("""{"citizens": []} x""")]
    [InlineData("""{"citizens": []}}""")]
    [InlineData("""{"citizens": []}{}""")]
    [InlineData("""{"citizens": []} {"citizens": []}""")]
    [InlineData("""{"citizens": []} 1""")]
    public void Trailing_garbage_is_an_error_at_the_root(string json) =>
        AssertErrorsAt(json, "$");

    [Fact]
    public void Invalid_utf8_is_an_error()
    {
        byte[] prefix = [.. Encoding.UTF8.GetBytes("""{"citizens": [{"citizen_id": 1, "town": "Mo""")];
        byte[] suffix = [.. Encoding.UTF8.GetBytes(""" ", "street": "a", "building": "1", "apartment": 1, "name": "x", "birth_date": "01.01.2000", "gender": "male", "relatives": []}]}""")];
        byte[] body = [.. prefix, 0xC3, 0x28, .. suffix];
        var errors = new ValidationErrors();
        var citizens = CitizenJson.ReadImport(new ReadOnlySequence<byte>(body), Today, errors);
        Assert.Null(citizens);
        Assert.False(errors.IsEmpty);
    }

    [Theory]
    [InlineData("town")]
    [InlineData("name")]
    public void Lone_surrogate_escape_is_an_error_at_that_field(string field) =>
        AssertErrorsAt(Body(Citizen((field, "\"a\\ud800b\""))), $"citizens[0].{field}");

    [Fact]
    public void Escaped_field_names_are_recognized()
    {
        // "citizen\u005fid" is "citizen_id" with its underscore escaped.
        var citizen = "{\"citizen\\u005fid\": 42, " + Citizen(("citizen_id", null))[1..];
        var (citizens, errors) = Import(Body(citizen));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(42, Assert.Single(citizens!).CitizenId);
    }

    [Fact]
    public void Citizen_that_is_not_an_object_is_an_error_at_its_index() =>
        AssertErrorsAt(Body(Citizen(1, "[]"), "1", "[]", "null"), "citizens[1]", "citizens[2]", "citizens[3]");

    // ---- fields of a citizen ---------------------------------------------------------------------

    [Theory]
    [InlineData("citizen_id")]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("apartment")]
    [InlineData("name")]
    [InlineData("birth_date")]
    [InlineData("gender")]
    [InlineData("relatives")]
    public void Missing_field_is_an_error_at_that_field(string field) =>
        AssertErrorsAt(Body(Citizen(1, "[]"), Citizen(2, "[]", (field, null))), $"citizens[1].{field}");

    [Theory]
    [InlineData("citizen_id")]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("apartment")]
    [InlineData("name")]
    [InlineData("birth_date")]
    [InlineData("gender")]
    [InlineData("relatives")]
    public void Null_field_is_an_error_at_that_field(string field) =>
        AssertErrorsAt(Body(Citizen((field, "null"))), $"citizens[0].{field}");

    [Fact]
    public void Unknown_field_in_a_citizen_is_an_error_at_that_field() =>
        AssertErrorsAt(Body(Citizen(("age", "33"))), "citizens[0].age");

    [Fact]
    public void Field_names_are_case_sensitive() =>
        AssertErrorsAt(Body(Citizen(("name", null), ("Name", Str("Иван")))), "citizens[0].Name", "citizens[0].name");

    [Theory]
    [InlineData("name", "\"Пётр\"")]
    [InlineData("citizen_id", "1")]
    [InlineData("relatives", "[]")]
    [InlineData("gender", "\"male\"")]
    public void Duplicate_key_inside_a_citizen_is_an_error_at_that_field(string field, string raw)
    {
        // The default citizen already has the field; append a second copy by hand.
        var citizen = Citizen();
        var json = Body(citizen[..^1] + $", {Str(field)}: {raw}}}");
        AssertErrorsAt(json, $"citizens[0].{field}");
    }

    [Theory]
    [InlineData("\"7\"")]
    [InlineData("7.0")]
    [InlineData("1e2")]
    [InlineData("1E2")]
    [InlineData("0.5")]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("-1")]
    [InlineData("2147483648")]
    [InlineData("9223372036854775808")]
    [InlineData("1e400")]
    [InlineData("-0.0")]
    [InlineData("[1]")]
    [InlineData("{}")]
    public void Apartment_that_is_not_an_integer_in_range_is_an_error(string raw) =>
        AssertErrorsAt(Body(Citizen(("apartment", raw))), "citizens[0].apartment");

    [Theory]
    [InlineData("\"7\"")]
    [InlineData("7.0")]
    [InlineData("1e2")]
    [InlineData("true")]
    [InlineData("-1")]
    [InlineData("2147483648")]
    [InlineData("{\"id\": 1}")]
    public void Citizen_id_that_is_not_an_integer_in_range_is_an_error(string raw) =>
        AssertErrorsAt(Body(Citizen(("citizen_id", raw))), "citizens[0].citizen_id");

    [Theory]
    [InlineData(0)]
    [InlineData(2147483647)]
    public void Integer_bounds_are_accepted(int value)
    {
        var raw = value.ToString(CultureInfo.InvariantCulture);
        var (citizens, errors) = Import(Body(Citizen(("citizen_id", raw), ("apartment", raw), ("relatives", $"[{raw}]"))));
        Assert.True(errors.IsEmpty, Describe(errors));
        var citizen = Assert.Single(citizens!);
        Assert.Equal(value, citizen.CitizenId);
        Assert.Equal(value, citizen.Apartment);
        Assert.Equal([value], citizen.Relatives);
    }

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("2.0")]
    [InlineData("true")]
    [InlineData("-1")]
    [InlineData("2147483648")]
    [InlineData("null")]
    public void Relative_that_is_not_an_integer_is_an_error_at_its_index(string raw) =>
        AssertErrorsAt(Body(Citizen(1, $"[1, {raw}]")), "citizens[0].relatives[1]");

    [Theory]
    [InlineData("1")]
    [InlineData("\"[1]\"")]
    [InlineData("{}")]
    public void Relatives_that_is_not_an_array_is_an_error(string raw) =>
        AssertErrorsAt(Body(Citizen(1, raw)), "citizens[0].relatives");

    [Theory]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("name")]
    [InlineData("birth_date")]
    [InlineData("gender")]
    public void String_field_given_as_another_type_is_an_error(string field)
    {
        AssertErrorsAt(Body(Citizen((field, "1"))), $"citizens[0].{field}");
        AssertErrorsAt(Body(Citizen((field, "[\"a\"]"))), $"citizens[0].{field}");
        AssertErrorsAt(Body(Citizen((field, "true"))), $"citizens[0].{field}");
    }

    // ---- text lengths and contents ---------------------------------------------------------------

    [Theory]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("name")]
    public void Text_of_256_characters_is_valid_and_257_is_not(string field)
    {
        var yo256 = new string('\u0451', 256); // 'ё', one UTF-16 unit, two UTF-8 bytes each
        var (citizens, errors) = Import(Body(Citizen((field, Str(yo256)))));
        Assert.True(errors.IsEmpty, Describe(errors));
        var citizen = Assert.Single(citizens!);
        var value = field switch
        {
            "town" => citizen.Town,
            "street" => citizen.Street,
            "building" => citizen.Building,
            _ => citizen.Name,
        };
        Assert.Equal(yo256, value);

        AssertErrorsAt(Body(Citizen((field, Str(new string('\u0451', 257))))), $"citizens[0].{field}");
        AssertValid(Body(Citizen((field, Str(new string('a', 256))))));
        AssertErrorsAt(Body(Citizen((field, Str(new string('a', 257))))), $"citizens[0].{field}");
    }

    [Fact]
    public void Characters_outside_the_basic_plane_count_once()
    {
        // U+1D538 MATHEMATICAL DOUBLE-STRUCK CAPITAL A is a letter and two UTF-16 units.
        var letter = char.ConvertFromUtf32(0x1D538);
        AssertValid(Body(Citizen(("town", Str(string.Concat(Enumerable.Repeat(letter, 256)))))));
        AssertErrorsAt(Body(Citizen(("town", Str(string.Concat(Enumerable.Repeat(letter, 257)))))), "citizens[0].town");
        // U+1F600 GRINNING FACE, raw (not escaped) in the UTF-8 body.
        var face = char.ConvertFromUtf32(0x1F600);
        AssertValid(Body(Citizen(("name", "\"" + string.Concat(Enumerable.Repeat(face, 256)) + "\""))));
    }

    [Fact]
    public void Text_length_counts_unicode_scalar_values()
    {
        // Decided in the core-service issue: lengths count Unicode scalar values, as Python's len() does,
        // independent of grapheme segmentation. Precomposed 'ё' (U+0451) × 256 is 256; decomposed "ё"
        // (U+0435 + U+0308 COMBINING DIAERESIS) is two scalar values, so 128 of them fit and 129 do not.
        var decomposed = string.Concat(Enumerable.Repeat("\u0435\u0308", 128));
        AssertValid(Body(Citizen(("town", Str(decomposed)), ("name", Str(decomposed)))));
        AssertErrorsAt(Body(Citizen(("town", Str(decomposed + "\u0435\u0308")))), "citizens[0].town");
    }

    [Theory]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("name")]
    public void Empty_string_is_invalid(string field) =>
        AssertErrorsAt(Body(Citizen((field, "\"\""))), $"citizens[0].{field}");

    [Theory]
    [InlineData("town", "---")]
    [InlineData("town", "   ")]
    [InlineData("street", "-")]
    [InlineData("street", "!?.,")]
    [InlineData("building", "/")]
    [InlineData("building", "\u0308")]
    public void Address_without_a_letter_or_digit_is_invalid(string field, string value) =>
        AssertErrorsAt(Body(Citizen((field, Str(value)))), $"citizens[0].{field}");

    [Theory]
    [InlineData("town", "-Ё-")]
    [InlineData("town", "1")]
    [InlineData("street", "--7--")]
    [InlineData("building", "к")]
    public void Address_with_one_letter_or_digit_is_valid(string field, string value) =>
        AssertValid(Body(Citizen((field, Str(value)))));

    [Theory]
    [InlineData("---")]
    [InlineData(" ")]
    [InlineData("!")]
    public void Name_needs_no_letter_or_digit(string name) =>
        AssertValid(Body(Citizen(("name", Str(name)))));

    [Theory]
    [InlineData("Male")]
    [InlineData("MALE")]
    [InlineData("Female")]
    [InlineData("m")]
    [InlineData("")]
    [InlineData(" male")]
    [InlineData("other")]
    public void Gender_other_than_male_or_female_is_invalid(string gender) =>
        AssertErrorsAt(Body(Citizen(("gender", Str(gender)))), "citizens[0].gender");

    // ---- birth dates -----------------------------------------------------------------------------

    [Theory]
    [InlineData("31.02.2019")]
    [InlineData("29.02.2019")]
    [InlineData("29.02.1900")]
    [InlineData("31.04.2019")]
    [InlineData("32.01.2019")]
    [InlineData("00.01.2019")]
    [InlineData("01.00.2019")]
    [InlineData("01.13.2019")]
    [InlineData("01.01.0000")]
    [InlineData("1.1.2000")]
    [InlineData("01.1.2000")]
    [InlineData("1.01.2000")]
    [InlineData("01.01.20")]
    [InlineData("01.01.02000")]
    [InlineData("2000-01-01")]
    [InlineData("01/01/2000")]
    [InlineData("01.01.2000 ")]
    [InlineData(" 01.01.2000")]
    [InlineData("0a.01.2000")]
    [InlineData("+1.01.2000")]
    [InlineData("")]
    public void Impossible_or_badly_written_date_is_invalid(string date)
    {
        Assert.False(CitizenJson.TryParseDate(date, out _));
        AssertErrorsAt(Body(Citizen(("birth_date", Str(date)))), "citizens[0].birth_date");
    }

    [Fact]
    public void Date_with_non_ascii_digits_is_invalid()
    {
        // Arabic-Indic digits are decimal digits, but not the ASCII ones DD.MM.YYYY means.
        var date = "\u0660\u0661.\u0660\u0661.\u0662\u0660\u0660\u0660";
        Assert.False(CitizenJson.TryParseDate(date, out _));
    }

    [Theory]
    [InlineData("29.02.2020", 2020, 2, 29)]
    [InlineData("29.02.2000", 2000, 2, 29)]
    [InlineData("31.12.1999", 1999, 12, 31)]
    [InlineData("01.01.0001", 1, 1, 1)]
    [InlineData("26.12.1986", 1986, 12, 26)]
    [InlineData("30.04.2019", 2019, 4, 30)]
    public void Real_dates_parse(string text, int year, int month, int day)
    {
        Assert.True(CitizenJson.TryParseDate(text, out var date));
        Assert.Equal(new DateOnly(year, month, day), date);

        var (citizens, errors) = Import(Body(Citizen(("birth_date", Str(text)))));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(new DateOnly(year, month, day), Assert.Single(citizens!).BirthDate);
    }

    [Fact]
    public void Birth_date_today_is_valid()
    {
        var (citizens, errors) = Import(Body(Citizen(("birth_date", Str("21.11.2026")))));
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(Today, Assert.Single(citizens!).BirthDate);
    }

    [Theory]
    [InlineData("22.11.2026")]
    [InlineData("01.12.2026")]
    [InlineData("21.11.2027")]
    [InlineData("01.01.9999")]
    public void Birth_date_after_today_is_invalid(string date)
    {
        Assert.True(CitizenJson.TryParseDate(date, out _));
        AssertErrorsAt(Body(Citizen(("birth_date", Str(date)))), "citizens[0].birth_date");
    }

    [Fact]
    public void FormatDate_round_trips_through_TryParseDate()
    {
        foreach (var date in new[] { new DateOnly(1, 1, 1), new DateOnly(1986, 12, 26), new DateOnly(2020, 2, 29), Today })
        {
            var text = CitizenJson.FormatDate(date);
            Assert.True(CitizenJson.TryParseDate(text, out var parsed), text);
            Assert.Equal(date, parsed);
        }
        Assert.Equal("01.04.1997", CitizenJson.FormatDate(new DateOnly(1997, 4, 1)));
    }

    // ---- ids and relations -----------------------------------------------------------------------

    [Fact]
    public void Duplicate_citizen_id_is_an_error_at_the_second_one() =>
        AssertErrorsAt(Body(Citizen(1, "[]"), Citizen(2, "[]"), Citizen(1, "[]")), "citizens[2].citizen_id");

    [Fact]
    public void Relative_not_in_the_import_is_an_error_at_its_relatives() =>
        AssertErrorsAt(Body(Citizen(1, "[]"), Citizen(2, "[3]")), "citizens[1].relatives");

    [Fact]
    public void Relative_from_the_same_ids_but_absent_here_is_an_error()
    {
        // 0 is a valid id, but no citizen 0 is in this import.
        AssertErrorsAt(Body(Citizen(1, "[0]")), "citizens[0].relatives");
    }

    [Fact]
    public void Asymmetric_relation_is_an_error_at_the_citizen_that_lists_it() =>
        AssertErrorsAt(Body(Citizen(1, "[2]"), Citizen(2, "[]")), "citizens[0].relatives");

    [Fact]
    public void Asymmetric_relation_is_found_whichever_side_comes_first() =>
        AssertErrorsAt(Body(Citizen(1, "[]"), Citizen(2, "[1, 3]"), Citizen(3, "[2]")), "citizens[1].relatives");

    [Fact]
    public void Duplicate_relative_in_one_list_is_an_error_at_that_list()
    {
        var (citizens, errors) = Import(Body(Citizen(1, "[2, 2]"), Citizen(2, "[1]")));
        Assert.Null(citizens);
        Assert.True(errors.ToDictionary().ContainsKey("citizens[0].relatives"), Describe(errors));
    }

    [Fact]
    public void Duplicate_self_relative_is_an_error() =>
        AssertErrorsAt(Body(Citizen(1, "[1, 1]")), "citizens[0].relatives");

    [Fact]
    public void Duplicate_relative_does_not_cause_a_false_mutuality_error()
    {
        // Citizen 1 lists 2 (twice), citizen 2 lists 1: the relation is mutual, so the only thing to fix
        // is citizens[0].relatives. An error at citizens[1].relatives saying "citizen 1 does not list 2"
        // would be false and send the person to fix the wrong citizen.
        AssertErrorsAt(Body(Citizen(1, "[2, 2]"), Citizen(2, "[1]")), "citizens[0].relatives");
    }

    [Fact]
    public void Errors_in_several_citizens_are_all_reported()
    {
        var json = Body(
            Citizen(1, "[]", ("birth_date", Str("31.02.2019"))),
            Citizen(2, "[]", ("town", Str("---")), ("gender", Str("Male"))),
            Citizen(3, "[]"),
            Citizen(4, "[]", ("apartment", "\"7\"")));
        AssertErrorsAt(json, "citizens[0].birth_date", "citizens[1].town", "citizens[1].gender", "citizens[3].apartment");
    }

    [Fact]
    public void Error_count_is_capped()
    {
        var broken = Citizen(("citizen_id", "\"x\""), ("birth_date", Str("31.02.2019")), ("gender", Str("Male")), ("age", "1"));
        var json = Body([.. Enumerable.Repeat(broken, 1000)]);
        var (citizens, errors) = Import(json);

        Assert.Null(citizens);
        Assert.False(errors.IsEmpty);
        Assert.True(errors.Count <= ValidationErrors.Limit, $"{errors.Count} errors");
        Assert.True(errors.ToDictionary().Values.Sum(m => m.Length) <= ValidationErrors.Limit);
    }

    [Fact]
    public void Error_count_is_capped_for_relation_errors()
    {
        // Every field valid; 1000 citizens each listing a citizen that is not in the import.
        var json = Body([.. Enumerable.Range(0, 1000).Select(i => Citizen(i, $"[{i + 5000}]"))]);
        var (citizens, errors) = Import(json);

        Assert.Null(citizens);
        Assert.Equal(ValidationErrors.Limit, errors.Count);
        Assert.Equal(ValidationErrors.Limit, errors.ToDictionary().Values.Sum(m => m.Length));
    }

    [Fact]
    public void Error_count_is_capped_for_bad_citizens_that_are_not_objects()
    {
        var json = Body([.. Enumerable.Repeat("1", 1000)]);
        var (citizens, errors) = Import(json);
        Assert.Null(citizens);
        Assert.True(errors.Count <= ValidationErrors.Limit, $"{errors.Count} errors");
    }

    [Fact]
    public void Large_valid_import_parses()
    {
        // 10,000 citizens in pairs of brothers: the checker's load size.
        var json = Body([.. Enumerable.Range(0, 10_000).Select(i => Citizen(i, $"[{i ^ 1}]"))]);
        var (citizens, errors) = Import(json);
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(10_000, citizens!.Length);
        Assert.Equal([9998], citizens[9999].Relatives);
    }

    // ---- PATCH bodies ----------------------------------------------------------------------------

    [Fact]
    public void Empty_patch_is_an_error() =>
        AssertPatchErrorsAt("{}", "$");

    [Fact]
    public void Patch_of_citizen_id_is_an_error_at_citizen_id() =>
        AssertPatchErrorsAt("""{"citizen_id": 5}""", "citizen_id");

    [Fact]
    public void Patch_of_citizen_id_with_other_fields_is_still_an_error_at_citizen_id() =>
        AssertPatchErrorsAt("""{"name": "Иван", "citizen_id": 5}""", "citizen_id");

    [Fact]
    public void Patch_with_unknown_field_is_an_error_at_that_field() =>
        AssertPatchErrorsAt("""{"name": "Иван", "age": 33}""", "age");

    [Theory]
    [InlineData("town")]
    [InlineData("street")]
    [InlineData("building")]
    [InlineData("apartment")]
    [InlineData("name")]
    [InlineData("birth_date")]
    [InlineData("gender")]
    [InlineData("relatives")]
    public void Patch_with_null_field_is_an_error_at_that_field(string field) =>
        AssertPatchErrorsAt($"{{\"{field}\": null}}", field);

    [Theory]
    [InlineData("""{"town": "---"}""", "town")]
    [InlineData("""{"street": ""}""", "street")]
    [InlineData("""{"apartment": 7.0}""", "apartment")]
    [InlineData("""{"apartment": "7"}""", "apartment")]
    [InlineData("""{"gender": "Female"}""", "gender")]
    [InlineData("""{"birth_date": "29.02.2019"}""", "birth_date")]
    [InlineData("""{"birth_date": "22.11.2026"}""", "birth_date")]
    [InlineData("""{"relatives": [1, 2, 1]}""", "relatives")]
    [InlineData("""{"relatives": [1, "2"]}""", "relatives[1]")]
    [InlineData("""{"relatives": 1}""", "relatives")]
    [InlineData("""{"name": "a", "name": "b"}""", "name")]
    public void Patch_with_invalid_value_is_an_error_at_that_field(string json, string path) =>
        AssertPatchErrorsAt(json, path);

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"name": "a"} x""")]
    [InlineData("""{"name": "a"}{}""")]
    public void Malformed_patch_is_an_error_at_the_root(string json) =>
        AssertPatchErrorsAt(json, "$");

    [Fact]
    public void Partial_patch_carries_only_the_given_fields()
    {
        var (patch, errors) = Patch("""{"name": "Иванова Мария Леонидовна", "apartment": 0, "relatives": [1, 3], "birth_date": "29.02.2020", "gender": "female"}""");
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.NotNull(patch);
        Assert.Equal("Иванова Мария Леонидовна", patch.Name);
        Assert.Equal(0, patch.Apartment);
        Assert.Equal([1, 3], patch.Relatives);
        Assert.Equal(new DateOnly(2020, 2, 29), patch.BirthDate);
        Assert.Equal(Gender.Female, patch.Gender);
        Assert.Null(patch.Town);
        Assert.Null(patch.Street);
        Assert.Null(patch.Building);
        Assert.True(patch.ChangesColumns);
    }

    [Fact]
    public void Patch_of_every_field_carries_every_value()
    {
        var (patch, errors) = Patch("""
            {"town": "Керчь", "street": "Иосифа Бродского", "building": "2", "apartment": 2147483647,
             "name": "---", "birth_date": "21.11.2026", "gender": "male", "relatives": []}
            """);
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.NotNull(patch);
        Assert.Equal("Керчь", patch.Town);
        Assert.Equal("Иосифа Бродского", patch.Street);
        Assert.Equal("2", patch.Building);
        Assert.Equal(int.MaxValue, patch.Apartment);
        Assert.Equal("---", patch.Name);
        Assert.Equal(Today, patch.BirthDate);
        Assert.Equal(Gender.Male, patch.Gender);
        Assert.NotNull(patch.Relatives);
        Assert.Empty(patch.Relatives);
    }

    [Fact]
    public void Patch_of_relatives_only_changes_no_columns()
    {
        var (patch, errors) = Patch("""{"relatives": [2]}""");
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.NotNull(patch);
        Assert.Equal([2], patch.Relatives);
        Assert.False(patch.ChangesColumns);
    }

    [Fact]
    public void Patch_of_256_yo_is_valid_and_257_is_not()
    {
        var (patch, errors) = Patch($"{{\"name\": {Str(new string('\u0451', 256))}}}");
        Assert.True(errors.IsEmpty, Describe(errors));
        Assert.Equal(256, patch!.Name!.Length);
        AssertPatchErrorsAt($"{{\"name\": {Str(new string('\u0451', 257))}}}", "name");
    }

    // ---- the checks across citizens on their compact form (issue 10) ---------------------------

    [Fact]
    public void Repeated_ids_are_reported_in_the_bodys_order_each_naming_the_first_citizen_with_that_id_whatever_its_size()
    {
        var (citizens, errors) = Import(Body(
            Citizen(5, "[]"), Citizen(int.MaxValue, "[]"), Citizen(5, "[]"), Citizen(100_000_000, "[]"),
            Citizen(int.MaxValue, "[]"), Citizen(5, "[]"), Citizen(100_000_000, "[]")));

        Assert.Null(citizens);
        Assert.Equal(
            [
                ("citizens[2].citizen_id", "citizen_id 5 is already used by citizens[0]"),
                ("citizens[4].citizen_id", $"citizen_id {int.MaxValue} is already used by citizens[1]"),
                ("citizens[5].citizen_id", "citizen_id 5 is already used by citizens[0]"),
                ("citizens[6].citizen_id", "citizen_id 100000000 is already used by citizens[3]"),
            ],
            errors.ToDictionary().Select(pair => (pair.Key, Assert.Single(pair.Value))).ToArray());
    }

    [Fact]
    public void Relations_between_the_largest_ids_are_checked_both_ways()
    {
        AssertValid(Body(Citizen(int.MaxValue, "[100000000, 0]"), Citizen(100_000_000, $"[{int.MaxValue}]"), Citizen(0, $"[{int.MaxValue}]")));

        var (citizens, errors) = Import(Body(Citizen(int.MaxValue, "[100000000, 0]"), Citizen(100_000_000, "[]"), Citizen(0, $"[{int.MaxValue}]")));

        Assert.Null(citizens);
        Assert.Equal(
            [("citizens[0].relatives", $"lists citizen 100000000, but citizen 100000000 (citizens[1]) does not list {int.MaxValue}: relations must be mutual")],
            errors.ToDictionary().Select(pair => (pair.Key, Assert.Single(pair.Value))).ToArray());
    }

    [Fact]
    public void Friend_lists_that_start_part_way_through_the_import_are_checked_against_the_right_citizens()
    {
        // The first citizen names no friends at all: the friend lists start at the second.
        var (citizens, errors) = Import(Body(Citizen(1, "[]"), Citizen(2, "[]", ("friends", "[3]")), Citizen(3, "[]", ("friends", "[]"))));

        Assert.Null(citizens);
        Assert.Equal(
            [("citizens[1].friends", "lists citizen 3, but citizen 3 (citizens[2]) does not list 2: friendships must be mutual")],
            errors.ToDictionary().Select(pair => (pair.Key, Assert.Single(pair.Value))).ToArray());
    }

    [Fact]
    public void Birth_dates_are_written_as_the_culture_s_dd_MM_yyyy_writes_them_on_every_day()
    {
        // Every day from year 1 to 9999 would be 3.65 million; every day of four centuries and the extremes cover
        // each digit in each position.
        Span<byte> buffer = stackalloc byte[10];
        var days = Enumerable.Range(0, 146_097).Select(d => new DateOnly(1900, 1, 1).AddDays(d))
            .Concat([DateOnly.MinValue, DateOnly.MaxValue, new DateOnly(999, 12, 31), new DateOnly(1000, 1, 1)]);
        foreach (var day in days)
        {
            var written = Encoding.ASCII.GetString(CitizenJson.FormatDate(day, buffer));
            Assert.Equal(day.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture), written);
        }
    }
}
