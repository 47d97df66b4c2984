using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Analytics;

public sealed class SqliteCoursesApiTests(SqliteApp app) : CoursesApiTests<SqliteApp>(app);

public sealed class PostgresCoursesApiTests(PostgresApp app) : CoursesApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>GET .../citizens/courses and GET .../stat/demand (issue 11), run against each back end.</summary>
public abstract class CoursesApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    private static JsonObject With(JsonObject citizen, string? channel, params int[] friends)
    {
        citizen["channel"] = channel;
        citizen["friends"] = new JsonArray([.. friends.Select(f => (JsonNode)f)]);
        return citizen;
    }

    /// <summary>
    /// On 21.11.2026: 1 (Москва, 39, instagram) has relative 2 and friends 2 and 3; 2 (Москва, 29, instagram) has
    /// relative and friend 1; 3 (Керчь, 39, no channel) has friends 1 and itself; 4 (Керчь, 16, vk) has nobody.
    /// </summary>
    private static JsonObject Example() => Import(
        With(Citizen(1, [2], birthDate: "26.12.1986"), "instagram", 2, 3),
        With(Citizen(2, [1], birthDate: "01.04.1997"), "instagram", 1),
        With(Citizen(3, [], town: "Керчь", birthDate: "23.11.1986"), null, 1, 3),
        Citizen(4, [], town: "Керчь", birthDate: "01.01.2010").Also(c => c["channel"] = "vk"));

    private const string ExampleCourses =
        """{"data":{"":[{"citizen_id":3,"courses":2}],"instagram":[{"citizen_id":1,"courses":2},{"citizen_id":2,"courses":1}],"vk":[]}}""";

    private const string ExampleDemand =
        """{"data":[{"town":"Керчь","age_group":"0-17","channel":"vk","citizens":1,"courses":0},"""
        + """{"town":"Керчь","age_group":"35-44","channel":null,"citizens":1,"courses":2},"""
        + """{"town":"Москва","age_group":"25-34","channel":"instagram","citizens":1,"courses":1},"""
        + """{"town":"Москва","age_group":"35-44","channel":"instagram","citizens":1,"courses":2}]}""";

    private async Task<string> GetRawAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        return body;
    }

    private static string Months(params (int Month, string Buyers)[] months) =>
        "{" + string.Join(",", Enumerable.Range(1, 12).Select(m =>
            $"\"{m}\":" + (months.FirstOrDefault(x => x.Month == m).Buyers ?? "[]"))) + "}";

    [BackendFact]
    public async Task Courses_by_channel_count_a_relative_who_is_also_a_friend_once_and_a_self_friend()
    {
        var importId = await Client.CreateImportAsync(Example());
        Assert.Equal(ExampleCourses, await GetRawAsync($"/imports/{importId}/citizens/courses"));
        Assert.Equal(ExampleCourses, await GetRawAsync($"/imports/{importId}/citizens/courses?by=channel"));
    }

    [BackendFact]
    public async Task Courses_by_channel_and_month_of_the_recipients_birthday()
    {
        var importId = await Client.CreateImportAsync(Example());
        // instagram: 1 buys for 2 (April) and 3 (November), 2 for 1 (December); no channel: 3 for 3 (November) and 1 (December).
        var expected = "{\"data\":{"
            + "\"\":" + Months((11, """[{"citizen_id":3,"courses":1}]"""), (12, """[{"citizen_id":3,"courses":1}]""")) + ","
            + "\"instagram\":" + Months((4, """[{"citizen_id":1,"courses":1}]"""), (11, """[{"citizen_id":1,"courses":1}]"""),
                (12, """[{"citizen_id":2,"courses":1}]""")) + ","
            + "\"vk\":" + Months() + "}}";
        Assert.Equal(expected, await GetRawAsync($"/imports/{importId}/citizens/courses?by=channel,month"));
        Assert.Equal(expected, await GetRawAsync($"/imports/{importId}/citizens/courses?by=channel&by=month"));
    }

    [BackendFact]
    public async Task An_import_without_channels_or_friends_is_all_under_the_empty_key()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        Assert.Equal("""{"data":{"":[{"citizen_id":1,"courses":1},{"citizen_id":2,"courses":1}]}}""",
            await GetRawAsync($"/imports/{importId}/citizens/courses"));
        Assert.Equal(
            """{"data":[{"town":"Керчь","citizens":1,"courses":0},{"town":"Москва","citizens":2,"courses":2}]}""",
            await GetRawAsync($"/imports/{importId}/stat/demand?by=town"));
        var empty = await Client.CreateImportAsync(Import());
        Assert.Equal("""{"data":{}}""", await GetRawAsync($"/imports/{empty}/citizens/courses"));
        Assert.Equal("""{"data":{}}""", await GetRawAsync($"/imports/{empty}/citizens/courses?by=channel,month"));
        Assert.Equal("""{"data":[]}""", await GetRawAsync($"/imports/{empty}/stat/demand"));
    }

    [BackendFact]
    public async Task Demand_by_default_keys_in_key_order()
    {
        var importId = await Client.CreateImportAsync(Example());
        Assert.Equal(ExampleDemand, await GetRawAsync($"/imports/{importId}/stat/demand"));
        Assert.Equal(ExampleDemand, await GetRawAsync($"/imports/{importId}/stat/demand?by=town,age_group,channel&age_groups=0-17,18-24,25-34,35-44,45-54,55-64,65-"));
    }

    [BackendFact]
    public async Task Demand_keys_in_any_order_and_own_age_groups()
    {
        var importId = await Client.CreateImportAsync(Example());
        Assert.Equal(
            """{"data":[{"channel":null,"citizens":1,"courses":2},{"channel":"instagram","citizens":2,"courses":3},{"channel":"vk","citizens":1,"courses":0}]}""",
            await GetRawAsync($"/imports/{importId}/stat/demand?by=channel"));
        // 4 (16) is in no group; 1 and 3 (39) and 2 (29) are.
        Assert.Equal(
            """{"data":[{"age_group":"20-39","town":"Керчь","citizens":1,"courses":2},{"age_group":"20-39","town":"Москва","citizens":2,"courses":3}]}""",
            await GetRawAsync($"/imports/{importId}/stat/demand?by=age_group,town&age_groups=20-39,60-"));
    }

    [BackendFact]
    public async Task Demand_ages_follow_today()
    {
        var importId = await Client.CreateImportAsync(Example());
        var path = $"/imports/{importId}/stat/demand?by=age_group";
        Assert.Equal("""{"data":[{"age_group":"0-17","citizens":1,"courses":0},{"age_group":"25-34","citizens":1,"courses":1},{"age_group":"35-44","citizens":2,"courses":4}]}""",
            await GetRawAsync(path));
        app.Clock.Today = new DateOnly(2028, 1, 1); // 4 is 18, 2 is 30, 1 is 41 and 3 is 41
        try
        {
            Assert.Equal("""{"data":[{"age_group":"18-24","citizens":1,"courses":0},{"age_group":"25-34","citizens":1,"courses":1},{"age_group":"35-44","citizens":2,"courses":4}]}""",
                await GetRawAsync(path));
        }
        finally
        {
            app.Clock.Today = FixedClock.DefaultToday;
        }
    }

    [BackendTheory]
    [InlineData("/citizens/courses?by=month", "by")]
    [InlineData("/citizens/courses?by=month,channel", "by")]
    [InlineData("/citizens/courses?by=", "by")]
    [InlineData("/citizens/courses?by=channel,month,channel", "by")]
    [InlineData("/stat/demand?by=", "by")]
    [InlineData("/stat/demand?by=town,town", "by")]
    [InlineData("/stat/demand?by=city", "by")]
    [InlineData("/stat/demand?by=town,,channel", "by")]
    [InlineData("/stat/demand?by=town&by=town", "by")]
    [InlineData("/stat/demand?age_groups=", "age_groups")]
    [InlineData("/stat/demand?age_groups=30-20", "age_groups")]
    [InlineData("/stat/demand?age_groups=0-17,17-30", "age_groups")]
    [InlineData("/stat/demand?age_groups=18-24,0-17", "age_groups")]
    [InlineData("/stat/demand?age_groups=65-,70-", "age_groups")]
    [InlineData("/stat/demand?age_groups=x-y", "age_groups")]
    [InlineData("/stat/demand?age_groups=0-99999999999999", "age_groups")]
    [InlineData("/stat/demand?by=town&age_groups=0-17", "age_groups")]
    public async Task Bad_parameters_are_400_naming_the_parameter(string path, string parameter)
    {
        var importId = await Client.CreateImportAsync(Example());
        using var response = await Client.GetAsync($"/imports/{importId}{path}");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal([parameter], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.NotEmpty(problem.GetProperty("errors").GetProperty(parameter)[0].GetString()!);
    }

    [BackendTheory]
    [InlineData("/citizens/courses")]
    [InlineData("/citizens/courses?by=channel,month")]
    [InlineData("/stat/demand")]
    [InlineData("/stat/demand?by=channel")]
    public async Task Unknown_imports_are_404(string path)
    {
        using var response = await Client.GetAsync($"/imports/987654321{path}");
        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("987654321", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task Answers_follow_every_patch_of_the_import()
    {
        var importId = await Client.CreateImportAsync(Example());
        var courses = $"/imports/{importId}/citizens/courses";
        var demand = $"/imports/{importId}/stat/demand";
        Assert.Equal(ExampleCourses, await GetRawAsync(courses));
        Assert.Equal(ExampleDemand, await GetRawAsync(demand));
        var byMonth = await GetRawAsync(courses + "?by=channel,month");
        var byChannel = await GetRawAsync(demand + "?by=channel");

        using (var patch = await Client.PatchJsonAsync($"/imports/{importId}/citizens/4", """{"friends": [1], "channel": "tv"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        const string patchedCourses =
            """{"data":{"":[{"citizen_id":3,"courses":2}],"instagram":[{"citizen_id":1,"courses":3},{"citizen_id":2,"courses":1}],"tv":[{"citizen_id":4,"courses":1}]}}""";
        Assert.Equal(patchedCourses, await GetRawAsync(courses));
        Assert.NotEqual(byMonth, await GetRawAsync(courses + "?by=channel,month"));
        Assert.Equal(
            """{"data":[{"channel":null,"citizens":1,"courses":2},{"channel":"instagram","citizens":2,"courses":4},{"channel":"tv","citizens":1,"courses":1}]}""",
            await GetRawAsync(demand + "?by=channel"));
        Assert.NotEqual(byChannel, await GetRawAsync(demand + "?by=channel"));

        // A PATCH that fails changes nothing, neither the data nor the answers.
        using (var failed = await Client.PatchJsonAsync($"/imports/{importId}/citizens/4", """{"friends": [99]}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        }
        Assert.Equal(patchedCourses, await GetRawAsync(courses));

        // The channel removed: 4 goes to the citizens without one.
        using (var patch = await Client.PatchJsonAsync($"/imports/{importId}/citizens/4", """{"channel": null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        Assert.Equal(
            """{"data":{"":[{"citizen_id":3,"courses":2},{"citizen_id":4,"courses":1}],"instagram":[{"citizen_id":1,"courses":3},{"citizen_id":2,"courses":1}]}}""",
            await GetRawAsync(courses));
    }

    [BackendFact]
    public async Task Answers_match_their_documented_schemas()
    {
        var document = await ApiDocument.LoadAsync(Client);
        var importId = await Client.CreateImportAsync(Example());
        var empty = await Client.CreateImportAsync(Import());
        foreach (var query in new[] { "", "?by=channel,month" })
        {
            using var response = await Client.GetAsync($"/imports/{empty}/citizens/courses{query}");
            await document.AssertDocumentedAsync(response, "/imports/{import_id}/citizens/courses");
        }
        foreach (var (path, query) in new[]
        {
            ("/imports/{import_id}/citizens/courses", ""), ("/imports/{import_id}/citizens/courses", "?by=channel,month"),
            ("/imports/{import_id}/citizens/courses", "?by=month"),
            ("/imports/{import_id}/stat/demand", ""), ("/imports/{import_id}/stat/demand", "?by=channel,town"),
            ("/imports/{import_id}/stat/demand", "?by=nothing"),
        })
        {
            using var response = await Client.GetAsync(path.Replace("{import_id}", importId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) + query);
            await document.AssertDocumentedAsync(response, path);
            using var notFound = await Client.GetAsync(path.Replace("{import_id}", "987654321", StringComparison.Ordinal));
            await document.AssertDocumentedAsync(notFound, path);
        }
    }

    [BackendTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Random_imports_match_the_reference_implementation_after_patches(int seed)
    {
        var random = new Random(seed);
        string?[] channels = [null, "instagram", "vk", "tv", "Радио"];
        var body = Citizens.Random(1_000, 300, seed, FixedClock.DefaultToday);
        var citizens = body["citizens"]!.AsArray().Select(c => c!.AsObject()).ToArray();
        var friends = citizens.Select(_ => new SortedSet<int>()).ToArray();
        for (var i = 0; i < 400; i++)
        {
            var a = random.Next(citizens.Length);
            var b = random.Next(20) == 0 ? a : random.Next(citizens.Length);
            friends[a].Add(b);
            friends[b].Add(a);
        }
        for (var i = 0; i < citizens.Length; i++)
        {
            With(citizens[i], channels[random.Next(channels.Length)], [.. friends[i]]);
        }
        var importId = await Client.CreateImportAsync(body);
        for (var i = 0; i < 10; i++)
        {
            var patch = new JsonObject
            {
                ["friends"] = new JsonArray([.. Enumerable.Range(0, 1_000).Where(_ => random.Next(100) == 0).Select(r => (JsonNode)r)]),
                ["channel"] = channels[random.Next(channels.Length)],
            };
            if (random.Next(2) == 0)
            {
                patch["relatives"] = new JsonArray([.. Enumerable.Range(0, 1_000).Where(_ => random.Next(100) == 0).Select(r => (JsonNode)r)]);
            }
            using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{random.Next(1_000)}", patch.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        static int[] Ids(JsonNode? list) => [.. list!.AsArray().Select(r => r!.GetValue<int>())];
        var people = (await Client.GetCitizensAsync(importId)).Values
            .Select(c => new Reference.Person(
                c["citizen_id"]!.GetValue<int>(),
                c["town"]!.GetValue<string>(),
                DateOnly.ParseExact(c["birth_date"]!.GetValue<string>(), "dd.MM.yyyy", CultureInfo.InvariantCulture),
                c["channel"]?.GetValue<string>(),
                Ids(c["relatives"]),
                Ids(c["friends"])))
            .ToList();

        var courses = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/courses"))!["data"]!.AsObject();
        var expected = Reference.Courses(people);
        Assert.Equal(expected.Keys, courses.Select(p => p.Key));
        foreach (var (channel, buyers) in expected)
        {
            Assert.Equal(buyers.Select(b => $"{b.CitizenId}:{b.Courses}"), courses[channel]!.AsArray().Select(b => $"{b!["citizen_id"]}:{b["courses"]}"));
        }

        var byMonth = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/courses?by=channel,month"))!["data"]!.AsObject();
        var expectedByMonth = Reference.CoursesByMonth(people);
        Assert.Equal(expectedByMonth.Keys, byMonth.Select(p => p.Key));
        foreach (var (channel, months) in expectedByMonth)
        {
            Assert.Equal(Reference.MonthKeys, byMonth[channel]!.AsObject().Select(p => p.Key));
            foreach (var (month, buyers) in months)
            {
                Assert.Equal(buyers.Select(b => $"{b.CitizenId}:{b.Courses}"), byMonth[channel]![month]!.AsArray().Select(b => $"{b!["citizen_id"]}:{b["courses"]}"));
            }
        }

        foreach (var by in new[] { "town,age_group,channel", "channel,age_group", "age_group" })
        {
            var rows = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/stat/demand?by={by}&age_groups=0-17,18-39,50-"))!["data"]!.AsArray();
            var expectedRows = Reference.Demand(people, by.Split(','), [(0, 17), (18, 39), (50, null)], FixedClock.DefaultToday);
            Assert.Equal(
                expectedRows.Select(r => $"{r.Town}|{r.AgeGroup}|{r.Channel}|{r.Citizens}|{r.Courses}"),
                rows.Select(r => $"{r!["town"]}|{r["age_group"]}|{r["channel"]}|{r["citizens"]}|{r["courses"]}"));
        }
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject node, Action<JsonObject> change)
    {
        change(node);
        return node;
    }
}
