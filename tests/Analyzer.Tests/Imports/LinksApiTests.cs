using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

public sealed class SqliteLinksApiTests(SqliteApp app) : LinksApiTests<SqliteApp>(app);

public sealed class PostgresLinksApiTests(PostgresApp app) : LinksApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// The two optional citizen fields beyond the contract: <c>channel</c> (an advertising channel or null) and
/// <c>friends</c> (mutual, like relatives). An import that never names them keeps the contract's shape exactly.
/// </summary>
public abstract class LinksApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private static readonly string[] ContractKeys =
        ["citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender", "relatives"];

    private static readonly string[] ExtendedKeys = [.. ContractKeys, "friends", "channel"];

    protected HttpClient Client { get; } = app.CreateClient();

    private static JsonObject With(JsonObject citizen, int[]? friends = null, string? channel = null, bool channelNull = false)
    {
        if (friends is not null)
        {
            citizen["friends"] = new JsonArray([.. friends.Select(f => (JsonNode)f)]);
        }
        if (channel is not null || channelNull)
        {
            citizen["channel"] = channel;
        }
        return citizen;
    }

    private static int[] Ids(JsonObject citizen, string list) => [.. citizen[list]!.AsArray().Select(r => r!.GetValue<int>()).Order()];

    [BackendFact]
    public async Task An_import_without_them_keeps_exactly_the_contract_shape()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.All(citizens.Values, c => Assert.Equal(ContractKeys, c.Select(p => p.Key)));
    }

    [BackendFact]
    public async Task An_import_that_uses_either_shows_both_on_every_citizen()
    {
        var importId = await Client.CreateImportAsync(Import(
            With(Citizen(1, [2]), friends: [3], channel: "instagram"),
            Citizen(2, [1]),
            With(Citizen(3), friends: [1], channelNull: true)));

        var citizens = await Client.GetCitizensAsync(importId);

        Assert.All(citizens.Values, c => Assert.Equal(ExtendedKeys, c.Select(p => p.Key)));
        Assert.Equal("instagram", citizens[1]["channel"]!.GetValue<string>());
        Assert.Null(citizens[2]["channel"]);
        Assert.Null(citizens[3]["channel"]);
        Assert.Equal([3], Ids(citizens[1], "friends"));
        Assert.Empty(Ids(citizens[2], "friends"));
        Assert.Equal([1], Ids(citizens[3], "friends"));
        Assert.Equal([2], Ids(citizens[1], "relatives"));
    }

    [BackendFact]
    public async Task A_channel_alone_is_enough_for_the_extended_shape()
    {
        var importId = await Client.CreateImportAsync(Import(With(Citizen(1), channel: "vk"), Citizen(2)));
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.All(citizens.Values, c => Assert.Equal(ExtendedKeys, c.Select(p => p.Key)));
        Assert.Empty(Ids(citizens[1], "friends"));
    }

    public static TheoryData<string, string, string> BadLinks()
    {
        var data = new TheoryData<string, string, string>();
        void Add(string rule, string path, params JsonObject[] citizens) => data.Add(rule, path, Import(citizens).ToJsonString());
        Add("friends not mutual", "citizens[0].friends", With(Citizen(1), friends: [2]), With(Citizen(2), friends: []));
        Add("friend not in the import", "citizens[0].friends", With(Citizen(1), friends: [7]), Citizen(2));
        Add("friend twice", "citizens[0].friends", With(Citizen(1), friends: [2, 2]), With(Citizen(2), friends: [1]));
        Add("friends null", "citizens[0].friends", With(Citizen(1), channel: "a").Also(c => c["friends"] = null));
        Add("friends not an array", "citizens[0].friends", Citizen(1).Also(c => c["friends"] = 2));
        Add("friend id a string", "citizens[0].friends[0]", Citizen(1).Also(c => c["friends"] = new JsonArray("1")));
        Add("channel empty", "citizens[0].channel", With(Citizen(1), channel: ""));
        Add("channel without a letter or digit", "citizens[0].channel", With(Citizen(1), channel: "-- !"));
        Add("channel of 65 characters", "citizens[0].channel", With(Citizen(1), channel: new string('x', 65)));
        Add("channel a number", "citizens[0].channel", Citizen(1).Also(c => c["channel"] = 5));
        Add("channel twice", "citizens[0].channel", Citizen(1));
        return data;
    }

    [BackendTheory]
    [MemberData(nameof(BadLinks))]
    public async Task Bad_friends_or_channel_are_400_naming_the_field_and_store_nothing(string rule, string path, string body)
    {
        if (rule == "channel twice")
        {
            body = body.Replace("\"citizen_id\":1,", "\"citizen_id\":1,\"channel\":\"a\",\"channel\":\"b\",", StringComparison.Ordinal);
        }
        var before = await Client.CreateImportAsync(Import(Citizen(1)));

        using var response = await Client.PostJsonAsync("/imports", body);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out var messages), $"{rule}: no error at {path} in {problem}");
        Assert.NotEqual(0, messages.GetArrayLength());
        Assert.Equal((0, 0), await app.StoredAfterAsync(before));
    }

    [BackendFact]
    public async Task A_channel_of_64_characters_and_unicode_is_stored_as_sent()
    {
        var channel = new string('я', 63) + "😀";
        var importId = await Client.CreateImportAsync(Import(With(Citizen(1), channel: channel)));
        Assert.Equal(channel, (await Client.GetCitizensAsync(importId))[1]["channel"]!.GetValue<string>());
    }

    [BackendFact]
    public async Task Patch_mirrors_friends_like_relatives()
    {
        var importId = await Client.CreateImportAsync(Import(
            With(Citizen(1, [2]), friends: [2]), With(Citizen(2, [1]), friends: [1]), With(Citizen(3), friends: [])));

        using (var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/1", """{"friends": [1, 3], "channel": "ads"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var data = (await response.ReadJsonAsync()).GetProperty("data");
            Assert.Equal("[1,3]", data.GetProperty("friends").GetRawText());
            Assert.Equal("ads", data.GetProperty("channel").GetString());
            Assert.Equal("[2]", data.GetProperty("relatives").GetRawText());
        }
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal([1, 3], Ids(citizens[1], "friends"));
        Assert.Empty(Ids(citizens[2], "friends"));
        Assert.Equal([1], Ids(citizens[3], "friends"));
        Assert.Equal([1], Ids(citizens[2], "relatives"));

        using (var cleared = await Client.PatchJsonAsync($"/imports/{importId}/citizens/1", """{"channel": null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        }
        Assert.Null((await Client.GetCitizensAsync(importId))[1]["channel"]);
    }

    [BackendFact]
    public async Task Patch_naming_friends_gives_an_import_stored_without_them_the_extended_shape()
    {
        var importId = await Client.CreateImportAsync(ContractExample());

        using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"friends": [2]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.All(citizens.Values, c => Assert.Equal(ExtendedKeys, c.Select(p => p.Key)));
        Assert.Equal([3], Ids(citizens[2], "friends"));
        Assert.Empty(Ids(citizens[1], "friends"));
        Assert.All(citizens.Values, c => Assert.Null(c["channel"]));
        Assert.Equal([2], Ids(citizens[1], "relatives"));
    }

    [BackendFact]
    public async Task Patch_with_unknown_friends_is_400_and_changes_nothing()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        var before = await Client.GetCitizensAsync(importId);

        using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"friends": [2, 40, 41], "relatives": [1, 9]}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("40, 41", problem.GetProperty("errors").GetProperty("friends")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("9", problem.GetProperty("errors").GetProperty("relatives")[0].GetString(), StringComparison.Ordinal);
        var after = await Client.GetCitizensAsync(importId);
        Assert.Equal(before.Values.Select(c => c.ToJsonString()), after.Values.Select(c => c.ToJsonString()));
    }

    [BackendFact]
    public async Task Concurrent_friend_patches_leave_a_mutual_friendship_graph()
    {
        var importId = await Client.CreateImportAsync(Import([.. Enumerable.Range(0, 30).Select(i => With(Citizen(i), friends: []))]));
        var random = new Random(17);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var friends = Enumerable.Range(0, 30).Where(_ => random.Next(4) == 0).ToArray();
            using var response = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{i % 5}",
                new JsonObject { ["friends"] = new JsonArray([.. friends.Select(f => (JsonNode)f)]) }.ToJsonString());
            return response.StatusCode;
        }));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var citizens = await Client.GetCitizensAsync(importId);
        foreach (var (id, citizen) in citizens)
        {
            foreach (var friend in Ids(citizen, "friends"))
            {
                Assert.Contains(id, Ids(citizens[friend], "friends"));
            }
        }
    }

    [BackendFact]
    public async Task Birthdays_count_relatives_only_not_friends()
    {
        var importId = await Client.CreateImportAsync(Import(
            With(Citizen(1, [2], birthDate: "01.03.1990"), friends: [3]),
            Citizen(2, [1], birthDate: "01.05.1991"),
            With(Citizen(3, birthDate: "01.07.1992"), friends: [1])));

        using var response = await Client.GetAsync($"/imports/{importId}/citizens/birthdays");
        var data = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal("""[{"citizen_id":1,"presents":1}]""", data.GetProperty("5").GetRawText());
        Assert.Equal("""[{"citizen_id":2,"presents":1}]""", data.GetProperty("3").GetRawText());
        Assert.Equal("[]", data.GetProperty("7").GetRawText());
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject value, Action<JsonObject> change)
    {
        change(value);
        return value;
    }
}
