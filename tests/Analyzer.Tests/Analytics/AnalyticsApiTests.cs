using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Analytics;

public sealed class SqliteAnalyticsApiTests(SqliteApp app) : AnalyticsApiTests<SqliteApp>(app);

public sealed class PostgresAnalyticsApiTests(PostgresApp app) : AnalyticsApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>Sections 4–5 of the contract, run against each back end.</summary>
public abstract class AnalyticsApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    private async Task<string> GetRawAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    [BackendFact]
    public async Task Birthdays_of_the_contract_example_after_its_patch()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        (await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"relatives": [1]}""")).Dispose();

        var json = await GetRawAsync($"/imports/{importId}/citizens/birthdays");

        // 1 (born in December) has relatives 2 (April) and 3 (November); 2 and 3 have relative 1.
        Assert.Equal(
            """{"data":{"1":[],"2":[],"3":[],"4":[{"citizen_id":1,"presents":1}],"5":[],"6":[],"7":[],"8":[],"9":[],"10":[],"11":[{"citizen_id":1,"presents":1}],"12":[{"citizen_id":2,"presents":1},{"citizen_id":3,"presents":1}]}}""",
            json);
    }

    [BackendFact]
    public async Task Birthdays_count_relatives_of_the_same_month_and_self_relatives()
    {
        var importId = await Client.CreateImportAsync(Import(
            Citizen(1, [1, 2, 3], birthDate: "05.03.1990"),
            Citizen(2, [1], birthDate: "17.03.2001"),
            Citizen(3, [1], birthDate: "30.03.1960"),
            Citizen(4, [], birthDate: "01.01.2000")));

        var data = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/birthdays"))!["data"]!.AsObject();

        Assert.Equal(Enumerable.Range(1, 12).Select(m => m.ToString(System.Globalization.CultureInfo.InvariantCulture)), data.Select(p => p.Key));
        Assert.Equal("""[{"citizen_id":1,"presents":3},{"citizen_id":2,"presents":1},{"citizen_id":3,"presents":1}]""", data["3"]!.ToJsonString());
        Assert.All(data.Where(p => p.Key != "3"), p => Assert.Empty(p.Value!.AsArray()));
    }

    [BackendFact]
    public async Task Answers_follow_every_patch_of_the_import()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        var birthdays = await GetRawAsync($"/imports/{importId}/citizens/birthdays");
        var percentiles = await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age");
        Assert.Equal(birthdays, await GetRawAsync($"/imports/{importId}/citizens/birthdays"));

        using (var patch = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"relatives": [1], "town": "Москва"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        var changed = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/birthdays"))!["data"]!;
        Assert.Equal("""[{"citizen_id":1,"presents":1}]""", changed["11"]!.ToJsonString());
        Assert.NotEqual(percentiles, await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"));

        using (var failed = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"relatives": [99]}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        }
        Assert.Equal(changed["11"]!.ToJsonString(),
            JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/birthdays"))!["data"]!["11"]!.ToJsonString());
    }

    [BackendFact]
    public async Task Empty_import_has_twelve_empty_months_and_no_towns()
    {
        var importId = await Client.CreateImportAsync(Import());
        Assert.Equal(
            """{"data":{"1":[],"2":[],"3":[],"4":[],"5":[],"6":[],"7":[],"8":[],"9":[],"10":[],"11":[],"12":[]}}""",
            await GetRawAsync($"/imports/{importId}/citizens/birthdays"));
        Assert.Equal("""{"data":[]}""", await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"));
    }

    [BackendFact]
    public async Task Percentiles_are_numpy_linear_with_two_decimals()
    {
        // Today is 21.11.2026. Ages in "A": 10, 20, 29 (birthday tomorrow), 40 (birthday yesterday):
        // p50 h=1.5 → 20+0.5·9 = 24.5; p75 h=2.25 → 29+0.25·11 = 31.75; p99 h=2.97 → 29+0.97·11 = 39.67.
        // "Б": one citizen whose birthday is tomorrow: still 35, not 36.
        var importId = await Client.CreateImportAsync(Import(
            Citizen(1, town: "A", birthDate: "21.11.2016"),
            Citizen(2, town: "A", birthDate: "21.11.2006"),
            Citizen(3, town: "A", birthDate: "22.11.1996"),
            Citizen(4, town: "A", birthDate: "20.11.1986"),
            Citizen(5, town: "Б", birthDate: "22.11.1990")));

        // Compared as text, because the number format is part of the contract (35.0, not 35); the
        // service lists towns in ordinal order.
        Assert.Equal(
            """{"data":[{"town":"A","p50":24.5,"p75":31.75,"p99":39.67},{"town":"Б","p50":35.0,"p75":35.0,"p99":35.0}]}""",
            await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"));
    }

    [BackendFact]
    public async Task Ages_change_on_the_birthday_itself()
    {
        var importId = await Client.CreateImportAsync(Import(Citizen(1, town: "A", birthDate: "22.11.1990")));
        app.Clock.Today = new DateOnly(2026, 11, 22);
        try
        {
            Assert.Equal("""{"data":[{"town":"A","p50":36.0,"p75":36.0,"p99":36.0}]}""",
                await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"));
        }
        finally
        {
            app.Clock.Today = FixedClock.DefaultToday;
        }
        Assert.Equal("""{"data":[{"town":"A","p50":35.0,"p75":35.0,"p99":35.0}]}""",
            await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"));
    }

    [BackendTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_imports_match_the_reference_implementation_after_patches(int seed)
    {
        var importId = await Client.CreateImportAsync(Citizens.Random(2_000, 600, seed, FixedClock.DefaultToday));
        var random = new Random(seed);
        for (var i = 0; i < 10; i++)
        {
            var relatives = Enumerable.Range(0, 2_000).Where(_ => random.Next(200) == 0).Select(r => (JsonNode)r);
            using var patch = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{random.Next(2_000)}",
                new JsonObject { ["relatives"] = new JsonArray([.. relatives]), ["town"] = $"Город {random.Next(25)}" }.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        var citizens = (await Client.GetCitizensAsync(importId)).Values
            .Select(c => (
                Id: c["citizen_id"]!.GetValue<int>(),
                Town: c["town"]!.GetValue<string>(),
                BirthDate: DateOnly.ParseExact(c["birth_date"]!.GetValue<string>(), "dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture),
                Relatives: c["relatives"]!.AsArray().Select(r => r!.GetValue<int>()).ToArray()))
            .ToList();

        var birthdays = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/citizens/birthdays"))!["data"]!.AsObject();
        var expectedBirthdays = Reference.Birthdays([.. citizens.Select(c => (c.Id, c.BirthDate, c.Relatives))]);
        foreach (var month in Reference.MonthKeys)
        {
            Assert.Equal(
                expectedBirthdays[month].Select(b => $"{b.CitizenId}:{b.Presents}"),
                birthdays[month]!.AsArray().Select(b => $"{b!["citizen_id"]}:{b["presents"]}"));
        }

        var percentiles = JsonNode.Parse(await GetRawAsync($"/imports/{importId}/towns/stat/percentile/age"))!["data"]!.AsArray();
        var expectedPercentiles = Reference.Percentiles([.. citizens.Select(c => (c.Town, c.BirthDate))], FixedClock.DefaultToday);
        Assert.Equal(
            expectedPercentiles,
            percentiles.Select(p => (p!["town"]!.GetValue<string>(), p["p50"]!.GetValue<decimal>(), p["p75"]!.GetValue<decimal>(), p["p99"]!.GetValue<decimal>())));
    }
}
