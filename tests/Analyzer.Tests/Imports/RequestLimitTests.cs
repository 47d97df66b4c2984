using System.Net;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

/// <summary>The service with a 2 KB body limit instead of 128 MiB.</summary>
public sealed class SmallBodyLimitApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Analyzer:MAX_REQUEST_BODY_BYTES"] = "2048" };
}

public sealed class RequestLimitTests(SmallBodyLimitApp app) : IClassFixture<SmallBodyLimitApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Fact]
    public async Task A_body_over_the_configured_limit_is_413_and_stores_nothing()
    {
        var small = await client.CreateImportAsync(Import(Citizen(1)));

        using var response = await client.PostJsonAsync("/imports", Import([.. Enumerable.Range(0, 20).Select(i => Citizen(i))]).ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(small + 1, await client.CreateImportAsync(Import(Citizen(1))));
    }

    [Fact]
    public async Task A_patch_over_the_limit_is_413()
    {
        var importId = await client.CreateImportAsync(Import(Citizen(1)));
        using var response = await client.PatchJsonAsync($"/imports/{importId}/citizens/1", $$"""{"name": "{{new string('x', 3000)}}"}""");
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }
}
