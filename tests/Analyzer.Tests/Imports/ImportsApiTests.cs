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

    protected static int[] Relatives(JsonObject citizen) => [.. citizen["relatives"]!.AsArray().Select(r => r!.GetValue<int>())];
}
