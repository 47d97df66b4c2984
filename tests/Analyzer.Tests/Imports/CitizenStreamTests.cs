using System.Net;
using System.Text.Json;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Imports;

/// <summary>The service holding no import in memory: every GET .../citizens streams from the table.</summary>
public sealed class StreamingSqliteApp : SqliteApp
{
    internal static readonly IReadOnlyDictionary<string, string?> NothingHeld = new Dictionary<string, string?> { ["Analyzer:CITIZEN_CACHE_MB"] = "0" };

    protected override IReadOnlyDictionary<string, string?> Settings => NothingHeld;
}

/// <summary>The same on PostgreSQL.</summary>
public sealed class StreamingPostgresApp : PostgresApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => StreamingSqliteApp.NothingHeld;
}

public sealed class SqliteCitizenStreamTests(StreamingSqliteApp app) : CitizenStreamTests<StreamingSqliteApp>(app);

public sealed class PostgresCitizenStreamTests(StreamingPostgresApp app) : CitizenStreamTests<StreamingPostgresApp>(app), IPostgresTests;

/// <summary>
/// GET .../citizens from the table: a task reads the rows ahead of the one writing the JSON. Every citizen arrives once,
/// in order, and a client that goes away mid-answer leaves no connection behind.
/// </summary>
public abstract class CitizenStreamTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private const int Count = 5_000; // several read batches and several flushes of the response
    private readonly HttpClient client = app.CreateClient();

    [BackendFact]
    public async Task Every_citizen_arrives_once_in_order_as_stored()
    {
        var body = Citizens.Random(Count, Count / 2, seed: 21, app.Clock.Today);
        var importId = await client.CreateImportAsync(body);

        using var response = await client.GetAsync($"/imports/{importId}/citizens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var sent = body["citizens"]!.AsArray().ToDictionary(c => (int)c!["citizen_id"]!, c => (string)c!["name"]!);
        var ids = answer.RootElement.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("citizen_id").GetInt32()).ToList();
        Assert.Equal(sent.Keys.Order(), ids);
        Assert.All(answer.RootElement.GetProperty("data").EnumerateArray(),
            c => Assert.Equal(sent[c.GetProperty("citizen_id").GetInt32()], c.GetProperty("name").GetString()));
    }

    [BackendFact]
    public async Task A_client_that_goes_away_mid_answer_leaves_no_connection_open()
    {
        var importId = await client.CreateImportAsync(Citizens.Random(Count, Count / 2, seed: 22, app.Clock.Today));
        var database = app.Services.GetRequiredService<Database>();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var response = await client.GetAsync($"/imports/{importId}/citizens", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var start = new byte[4096];
            await stream.ReadExactlyAsync(start);
            // Disposing the response here, unread, aborts the request on the server.
        }

        // Background work (jobs, housekeeping) opens sessions now and then: wait (at most 10 s) for a moment with none.
        var open = database.OpenSessions;
        for (var wait = 0; wait < 100 && open > 0; wait++)
        {
            await Task.Delay(100);
            open = database.OpenSessions;
        }
        Assert.Equal(0, open);
        using var whole = await client.GetAsync($"/imports/{importId}/citizens");
        using var answer = JsonDocument.Parse(await whole.Content.ReadAsStreamAsync());
        Assert.Equal(Count, answer.RootElement.GetProperty("data").GetArrayLength());
    }

    [BackendFact]
    public async Task A_client_that_stops_reading_holds_the_answer_back_instead_of_the_server_buffering_it()
    {
        const int many = 20_000; // an answer of about 4 MB, far more than the response pipe holds
        var importId = await client.CreateImportAsync(Citizens.Random(many, many / 4, seed: 23, app.Clock.Today));
        var database = app.Services.GetRequiredService<Database>();

        using var response = await client.GetAsync($"/imports/{importId}/citizens", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var first = new byte[4096];
        await stream.ReadExactlyAsync(first);

        // The server writes on only as the client reads: its reading of the rows stays where the pipe stopped it, with
        // its session open. (Buffering the whole answer, it would read all 20,000 rows in well under a second and close it.)
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True(database.OpenSessions >= 1, "the server read every row while the client read 4 KiB");

        using var whole = new MemoryStream();
        whole.Write(first);
        await stream.CopyToAsync(whole);
        whole.Position = 0;
        using var answer = await JsonDocument.ParseAsync(whole);
        Assert.Equal(many, answer.RootElement.GetProperty("data").GetArrayLength());
    }
}
