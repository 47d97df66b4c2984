using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

public sealed class SqliteImportsApiTests(SqliteApp app) : ImportsApiTests<SqliteApp>(app);

public sealed class PostgresImportsApiTests(PostgresApp app) : ImportsApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>Sections 1–3 of the contract, run against each back end.</summary>
public abstract class ImportsApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task Contract_example_import_read_and_patch()
    {
        var importId = await Client.CreateImportAsync(ContractExample());

        var citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal(ContractExample()["citizens"]!.ToJsonString(), new JsonArray([.. citizens.Values.Select(c => c.DeepClone())]).ToJsonString());

        using var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3",
            """{"name": "Иванова Мария Леонидовна", "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7, "relatives": [1]}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("application/json", patched.Content.Headers.ContentType?.ToString());
        var expected = Citizen(3, [1], name: "Иванова Мария Леонидовна", birthDate: "23.11.1986", gender: "female");
        Assert.Equal(new JsonObject { ["data"] = expected }.ToJsonString(), JsonNode.Parse(await patched.Content.ReadAsStringAsync())!.ToJsonString());

        citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal([2, 3], Relatives(citizens[1]));
        Assert.Equal([1], Relatives(citizens[2]));
        Assert.Equal([1], Relatives(citizens[3]));

        using var cleared = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"relatives": []}""");
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal([2], Relatives(citizens[1]));
        Assert.Equal([1], Relatives(citizens[2]));
        Assert.Empty(Relatives(citizens[3]));
    }

    /// <summary>Bodies that break one rule of section 1 each, and the error path the answer must name.</summary>
    public static TheoryData<string, string, string> BadImports()
    {
        var data = new TheoryData<string, string, string>();
        void Add(string rule, string path, Func<JsonObject, JsonObject> breakIt)
        {
            var body = Import(Citizen(1, [2]), Citizen(2, [1]), Citizen(3));
            data.Add(rule, path, breakIt(body).ToJsonString());
        }
        JsonObject First(JsonObject body) => body["citizens"]![0]!.AsObject();
        JsonObject Set(JsonObject body, string field, JsonNode? value)
        {
            First(body)[field] = value;
            return body;
        }
        foreach (var field in new[] { "citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender", "relatives" })
        {
            Add($"missing {field}", $"citizens[0].{field}", body =>
            {
                First(body).Remove(field);
                return body;
            });
            Add($"null {field}", $"citizens[0].{field}", body => Set(body, field, null));
        }
        Add("unknown field in a citizen", "citizens[0].age", body => Set(body, "age", 30));
        Add("citizen_id as a string", "citizens[0].citizen_id", body => Set(body, "citizen_id", "1"));
        Add("citizen_id as a float", "citizens[0].citizen_id", body => Set(body, "citizen_id", 1.5));
        Add("citizen_id negative", "citizens[0].citizen_id", body => Set(body, "citizen_id", -1));
        Add("citizen_id too large", "citizens[0].citizen_id", body => Set(body, "citizen_id", 2147483648L));
        Add("citizen_id true", "citizens[0].citizen_id", body => Set(body, "citizen_id", true));
        Add("apartment as a string", "citizens[0].apartment", body => Set(body, "apartment", "7"));
        Add("apartment negative", "citizens[0].apartment", body => Set(body, "apartment", -7));
        Add("apartment too large", "citizens[0].apartment", body => Set(body, "apartment", 2147483648L));
        Add("empty town", "citizens[0].town", body => Set(body, "town", ""));
        Add("town without letters or digits", "citizens[0].town", body => Set(body, "town", "-- ."));
        Add("street without letters or digits", "citizens[0].street", body => Set(body, "street", "!!!"));
        Add("building without letters or digits", "citizens[0].building", body => Set(body, "building", "/"));
        Add("town of 257 characters", "citizens[0].town", body => Set(body, "town", new string('ё', 257)));
        Add("empty name", "citizens[0].name", body => Set(body, "name", ""));
        Add("name of 257 characters", "citizens[0].name", body => Set(body, "name", new string('n', 257)));
        Add("town as a number", "citizens[0].town", body => Set(body, "town", 5));
        Add("gender capitalised", "citizens[0].gender", body => Set(body, "gender", "Male"));
        Add("gender other", "citizens[0].gender", body => Set(body, "gender", "other"));
        Add("birth_date 31.02", "citizens[0].birth_date", body => Set(body, "birth_date", "31.02.2019"));
        Add("birth_date ISO", "citizens[0].birth_date", body => Set(body, "birth_date", "1986-12-26"));
        Add("birth_date one-digit day", "citizens[0].birth_date", body => Set(body, "birth_date", "1.12.1986"));
        Add("birth_date tomorrow", "citizens[0].birth_date", body => Set(body, "birth_date", "22.11.2026"));
        Add("relatives not an array", "citizens[0].relatives", body => Set(body, "relatives", 2));
        Add("relative as a string", "citizens[0].relatives[0]", body => Set(body, "relatives", new JsonArray("2")));
        Add("relative not in the import", "citizens[2].relatives", body =>
        {
            body["citizens"]![2]!["relatives"] = new JsonArray(99);
            return body;
        });
        Add("relation not mutual", "citizens[2].relatives", body =>
        {
            body["citizens"]![2]!["relatives"] = new JsonArray(1);
            return body;
        });
        Add("relative listed twice", "citizens[0].relatives", body => Set(body, "relatives", new JsonArray(2, 2)));
        Add("duplicate citizen_id", "citizens[1].citizen_id", body =>
        {
            body["citizens"]![1]!["citizen_id"] = 1;
            body["citizens"]![1]!["relatives"] = new JsonArray();
            First(body)["relatives"] = new JsonArray();
            return body;
        });
        Add("unknown top-level field", "extra", body =>
        {
            body["extra"] = 1;
            return body;
        });
        Add("citizen not an object", "citizens[1]", body =>
        {
            body["citizens"]![1] = 5;
            First(body)["relatives"] = new JsonArray();
            return body;
        });
        return data;
    }

    /// <summary>Bodies that are not even the right JSON: written raw.</summary>
    public static TheoryData<string, string, string> MalformedImports() => new()
    {
        { "missing citizens", "citizens", """{}""" },
        { "citizens null", "citizens", """{"citizens": null}""" },
        { "citizens an object", "citizens", """{"citizens": {}}""" },
        { "body an array", "$", """[]""" },
        { "not JSON", "$", """{"citizens": [""" },
        { "trailing garbage", "$", """{"citizens": []} []""" },
        { "duplicate top-level key", "citizens", """{"citizens": [], "citizens": []}""" },
        { "apartment 7.0", "citizens[0].apartment", CitizenJson(apartment: "7.0") },
        { "apartment 7e0", "citizens[0].apartment", CitizenJson(apartment: "7e0") },
        { "duplicate key in a citizen", "citizens[0].name", CitizenJson(extra: "\"name\": \"Другое имя\",") },
        { "empty body", "$", "" },
    };

    private static string CitizenJson(string apartment = "7", string extra = "") =>
        $$"""{"citizens": [{{{extra}} "citizen_id": 1, "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": {{apartment}}, "name": "Иванов Иван", "birth_date": "26.12.1986", "gender": "male", "relatives": []}]}""";

    [BackendTheory]
    [MemberData(nameof(BadImports))]
    [MemberData(nameof(MalformedImports))]
    public async Task A_bad_import_is_400_naming_the_field_and_stores_nothing(string rule, string path, string body)
    {
        var before = await Client.CreateImportAsync(Import(Citizen(1)));

        using var response = await Client.PostJsonAsync("/imports", body);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out var messages), $"{rule}: no error at {path} in {problem}");
        Assert.NotEqual(0, messages.GetArrayLength());
        Assert.Equal((0, 0), await app.StoredAfterAsync(before));
    }

    [BackendFact]
    public async Task Import_ids_are_new_for_every_import_and_an_empty_import_is_valid()
    {
        var first = await Client.CreateImportAsync(Import());
        var second = await Client.CreateImportAsync(Import());
        Assert.True(second > first);
        Assert.Empty(await Client.GetCitizensAsync(second));
        using var response = await Client.GetAsync($"/imports/{second}/citizens");
        Assert.Equal("""{"data":[]}""", await response.Content.ReadAsStringAsync());
    }

    [BackendFact]
    public async Task Birth_date_today_is_accepted_and_tomorrow_rejected()
    {
        app.Clock.Today = new DateOnly(2024, 2, 29);
        try
        {
            await Client.CreateImportAsync(Import(Citizen(1, birthDate: "29.02.2024")));
            using var tomorrow = await Client.PostJsonAsync("/imports", Import(Citizen(1, birthDate: "01.03.2024")).ToJsonString());
            await tomorrow.AssertProblemAsync(HttpStatusCode.BadRequest);
        }
        finally
        {
            app.Clock.Today = FixedClock.DefaultToday;
        }
    }

    [BackendFact]
    public async Task Self_relative_and_unicode_limits_are_stored_as_sent()
    {
        var body = Import(
            Citizen(0, [0], town: new string('ё', 256), street: new string('Щ', 256), building: "1", name: new string('я', 256)),
            Citizen(int.MaxValue, [], apartment: int.MaxValue, name: "\"quoted\" \\ 🙂 name", building: "😀1"));
        var importId = await Client.CreateImportAsync(body);

        var citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal(body["citizens"]!.ToJsonString(), new JsonArray([.. citizens.Values.Select(c => c.DeepClone())]).ToJsonString());
    }

    [BackendFact]
    public async Task Imports_sharing_citizen_ids_do_not_leak_into_each_other()
    {
        var first = await Client.CreateImportAsync(ContractExample());
        var second = await Client.CreateImportAsync(Import(Citizen(1, [3], town: "Тверь"), Citizen(2), Citizen(3, [1])));

        using var patch = await Client.PatchJsonAsync($"/imports/{second}/citizens/2", """{"relatives": [1, 3], "name": "Другой"}""");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var original = await Client.GetCitizensAsync(first);
        Assert.Equal(ContractExample()["citizens"]!.ToJsonString(), new JsonArray([.. original.Values.Select(c => c.DeepClone())]).ToJsonString());
        var changed = await Client.GetCitizensAsync(second);
        Assert.Equal([2, 3], Relatives(changed[1]));
        Assert.Equal([1, 3], Relatives(changed[2]));
        Assert.Equal([1, 2], Relatives(changed[3]));
        Assert.Equal("Тверь", changed[1]["town"]!.GetValue<string>());
    }

    [BackendFact]
    public async Task Ten_thousand_citizens_with_a_thousand_pairs_and_the_largest_values_round_trip()
    {
        var body = Citizens.Random(10_000, 1_000, seed: 7, FixedClock.DefaultToday);
        var citizens = body["citizens"]!.AsArray();
        for (var i = 0; i < citizens.Count; i += 97)
        {
            var citizen = citizens[i]!.AsObject();
            citizen["town"] = new string('Т', 256);
            citizen["street"] = new string('s', 256);
            citizen["building"] = new string('7', 256);
            citizen["name"] = new string('ё', 256);
            citizen["apartment"] = int.MaxValue;
        }
        citizens.First(c => c!["relatives"]!.AsArray().Count == 0)!["citizen_id"] = int.MaxValue;

        var importId = await Client.CreateImportAsync(body);

        var stored = await Client.GetCitizensAsync(importId);
        Assert.Equal(10_000, stored.Count);
        var sent = citizens.Select(c => c!.AsObject()).OrderBy(c => c["citizen_id"]!.GetValue<int>()).Select(c => c.ToJsonString());
        Assert.Equal(sent, stored.Values.Select(c => c.ToJsonString()));
        Assert.Equal(2_000, stored.Values.Sum(c => Relatives(c).Length) + stored.Values.Count(c => Relatives(c).Contains(c["citizen_id"]!.GetValue<int>())));
    }

    [BackendTheory]
    [InlineData("GET", "/imports/999999/citizens")]
    [InlineData("GET", "/imports/999999/citizens/birthdays")]
    [InlineData("GET", "/imports/999999/towns/stat/percentile/age")]
    [InlineData("GET", "/imports/abc/citizens")]
    [InlineData("GET", "/imports/-1/citizens")]
    [InlineData("GET", "/imports/1.5/citizens")]
    [InlineData("GET", "/imports/+1/citizens")]
    [InlineData("GET", "/imports/99999999999999999999999/citizens")]
    [InlineData("GET", "/imports/9223372036854775807/citizens/birthdays")]
    [InlineData("GET", "/imports/")]
    [InlineData("POST", "/imports/")]
    [InlineData("GET", "/imports/1/citizens/")]
    [InlineData("GET", "/nothing/here")]
    [InlineData("PATCH", "/imports/999999/citizens/1")]
    [InlineData("PATCH", "/imports/abc/citizens/1")]
    [InlineData("PATCH", "/imports/1/citizens/x")]
    [InlineData("PATCH", "/imports/1/citizens/-1")]
    public async Task Unknown_or_malformed_ids_and_paths_are_404_problems(string method, string path)
    {
        await Client.CreateImportAsync(ContractExample());
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = ApiClient.Json(method == "POST" ? """{"citizens": []}""" : """{"name": "X"}""");
        }
        using var response = await Client.SendAsync(request);
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendTheory]
    [InlineData("99")]
    [InlineData("2147483648")]
    public async Task Patch_of_an_unknown_citizen_is_404(string unknownCitizen)
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{unknownCitizen}", """{"name": "X"}""");
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    public static TheoryData<string, string, string> BadPatches() => new()
    {
        { "empty object", "$", """{}""" },
        { "not an object", "$", """[]""" },
        { "citizen_id", "citizen_id", """{"citizen_id": 5}""" },
        { "unknown field", "age", """{"age": 5}""" },
        { "null name", "name", """{"name": null}""" },
        { "null relatives", "relatives", """{"relatives": null}""" },
        { "empty name", "name", """{"name": ""}""" },
        { "town without letters", "town", """{"town": "--"}""" },
        { "gender", "gender", """{"gender": "M"}""" },
        { "apartment 7.0", "apartment", """{"apartment": 7.0}""" },
        { "apartment string", "apartment", """{"apartment": "7"}""" },
        { "birth_date impossible", "birth_date", """{"birth_date": "30.02.2000"}""" },
        { "birth_date tomorrow", "birth_date", """{"birth_date": "22.11.2026"}""" },
        { "relatives with a string", "relatives[0]", """{"relatives": ["2"]}""" },
        { "relatives twice", "relatives", """{"relatives": [2, 2]}""" },
        { "relative not in the import", "relatives", """{"relatives": [2, 42]}""" },
        { "duplicate key", "name", """{"name": "A", "name": "B"}""" },
        { "malformed", "$", """{"name": """ },
    };

    [BackendTheory]
    [MemberData(nameof(BadPatches))]
    public async Task A_bad_patch_is_400_naming_the_field_and_changes_nothing(string rule, string path, string body)
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        var before = await Client.GetCitizensAsync(importId);

        using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", body);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"{rule}: no error at {path} in {problem}");
        var after = await Client.GetCitizensAsync(importId);
        Assert.Equal(before.Values.Select(c => c.ToJsonString()), after.Values.Select(c => c.ToJsonString()));
    }

    [BackendFact]
    public async Task Patch_changes_every_field_and_keeps_the_others()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/1",
            """{"gender": "female", "birth_date": "21.11.2026", "relatives": [1, 3]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal(
            Citizen(1, [1, 3], name: "Иванов Иван Иванович", birthDate: "21.11.2026", gender: "female").ToJsonString(),
            citizens[1].ToJsonString());
        Assert.Empty(Relatives(citizens[2]));
        Assert.Equal([1], Relatives(citizens[3]));
    }

    [BackendFact]
    public async Task Concurrent_patches_of_one_import_leave_a_mutual_relation_graph()
    {
        var importId = await Client.CreateImportAsync(Citizens.Random(50, 40, seed: 3, FixedClock.DefaultToday));
        var random = new Random(11);
        var patches = Enumerable.Range(0, 40).Select(i =>
        {
            var citizen = i % 3; // several PATCHes of the same citizens at once
            var relatives = Enumerable.Range(0, 50).Where(_ => random.Next(5) == 0).ToArray();
            return (citizen, relatives);
        }).ToList();

        var responses = await Task.WhenAll(patches.Select(async p =>
        {
            using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{p.citizen}",
                new JsonObject { ["relatives"] = new JsonArray([.. p.relatives.Select(r => (JsonNode)r)]) }.ToJsonString());
            return response.StatusCode;
        }));

        Assert.All(responses, status => Assert.Equal(HttpStatusCode.OK, status));
        var citizens = await Client.GetCitizensAsync(importId);
        foreach (var (id, citizen) in citizens)
        {
            foreach (var relative in Relatives(citizen))
            {
                Assert.Contains(id, Relatives(citizens[relative]));
            }
        }
        for (var citizen = 0; citizen < 3; citizen++)
        {
            var final = Relatives(citizens[citizen]);
            Assert.Contains(patches.Where(p => p.citizen == citizen), p => FinalOfSomeOrder(p.relatives, final, citizen, patches));
        }
    }

    /// <summary>
    /// A later PATCH of another citizen may add or remove this citizen as a relative, so the final list
    /// is some submitted list give or take the other patched citizens.
    /// </summary>
    private static bool FinalOfSomeOrder(int[] submitted, int[] final, int citizen, List<(int citizen, int[] relatives)> patches)
    {
        var others = patches.Select(p => p.citizen).Where(c => c != citizen).ToHashSet();
        return submitted.Where(r => !others.Contains(r)).SequenceEqual(final.Where(r => !others.Contains(r)));
    }

    [BackendFact]
    public async Task Non_json_content_type_is_415()
    {
        using var response = await Client.PostAsync("/imports", new StringContent("""{"citizens": []}""", System.Text.Encoding.UTF8, "text/plain"));
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [BackendFact]
    public async Task Wrong_method_is_405_problem()
    {
        using var response = await Client.DeleteAsync("/imports");
        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    protected static int[] Relatives(JsonObject citizen) => [.. citizen["relatives"]!.AsArray().Select(r => r!.GetValue<int>())];
}
