using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Events;

public sealed class SqliteEventsFeedTests(SqliteApp app) : EventsFeedTests<SqliteApp>(app);

public sealed class PostgresEventsFeedTests(PostgresApp app) : EventsFeedTests<PostgresApp>(app), IPostgresTests;

/// <summary>The transactional outbox and <c>GET /events</c> on each back end (no Kafka: the feed serves the outbox).</summary>
public abstract class EventsFeedTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task Every_change_of_a_workflow_is_one_event_in_commit_order()
    {
        var start = await EventFeed.EndAsync(Client);
        var importId = await Client.CreateImportAsync(ContractExample());
        using (var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"relatives": [1], "name": "Иванова"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        var name = "events_" + Guid.NewGuid().ToString("N")[..8];
        using (var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")))
        {
            csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var uploaded = await Client.PostAsync($"/datasets?name={name}", csv);
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }
        using (var created = await Client.PutAsync($"/datasets/{name}/rows", ApiClient.Json("""{"a": 3, "b": "z"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var updated = await Client.PatchJsonAsync($"/datasets/{name}/rows/1", """{"b": "w"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }
        using (var deleted = await Client.DeleteAsync($"/datasets/{name}/rows/2"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"{deleted.StatusCode}");
        }
        using (var restored = await Client.PostAsync($"/datasets/{name}/rows/2/restore", null))
        {
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
        using (var dropped = await Client.DeleteAsync($"/datasets/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        }
        using (var removed = await Client.DeleteAsync($"/imports/{importId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var events = await EventFeed.AfterAsync(Client, start);
        Assert.Equal(
            ["import.created", "citizen.updated", "dataset.created", "dataset.row.created", "dataset.row.updated", "dataset.row.deleted",
                "dataset.row.restored", "dataset.dropped", "import.deleted"],
            events.Select(e => e.GetProperty("type").GetString()));
        var ids = events.Select(EventFeed.IdOf).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var cloudEvent in events)
        {
            Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
            Assert.Equal("/analyzer", cloudEvent.GetProperty("source").GetString());
            Assert.Equal("application/json", cloudEvent.GetProperty("datacontenttype").GetString());
            Assert.True(cloudEvent.GetProperty("time").TryGetDateTimeOffset(out _));
        }
        var citizenUpdated = events[1];
        Assert.Equal($"/imports/{importId}/citizens/3", citizenUpdated.GetProperty("subject").GetString());
        Assert.Equal(importId, citizenUpdated.GetProperty("data").GetProperty("import_id").GetInt64());
        Assert.Equal(3, citizenUpdated.GetProperty("data").GetProperty("citizen_id").GetInt32());
        Assert.Equal([1], citizenUpdated.GetProperty("data").GetProperty("links_changed").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(3, events[0].GetProperty("data").GetProperty("citizens").GetInt64());
        Assert.Equal($"/datasets/{name}/rows/1", events[4].GetProperty("subject").GetString());
    }

    [BackendFact]
    public async Task A_failed_import_leaves_no_event()
    {
        var start = await EventFeed.EndAsync(Client);
        // Valid citizen by citizen (so the rows are bulk-loaded), invalid as a whole: relatives are not mutual.
        var body = Import(Citizen(1, relatives: [2]), Citizen(2));
        using (var rejected = await Client.PostJsonAsync("/imports", body.ToJsonString()))
        {
            await rejected.AssertProblemAsync(HttpStatusCode.BadRequest);
        }
        using (var missing = await Client.PatchJsonAsync("/imports/999999/citizens/1", """{"name": "x"}"""))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        Assert.Empty(await EventFeed.AfterAsync(Client, start));
    }

    [BackendFact]
    public async Task A_long_poll_answers_when_an_event_commits_and_next_continues_the_feed()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        var end = await EventFeed.EndAsync(Client);
        var poll = Client.GetAsync($"/events?after={end}&wait=30");
        await Task.Delay(200);
        using (var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/1", """{"town": "Казань"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        using var answer = await poll.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var page = await answer.ReadJsonAsync();
        var only = Assert.Single(page.GetProperty("data").EnumerateArray());
        Assert.Equal("citizen.updated", only.GetProperty("type").GetString());
        var next = page.GetProperty("next").GetString()!;
        Assert.Contains($"after={EventFeed.IdOf(only)}", next, StringComparison.Ordinal);
        Assert.Contains("wait=30", next, StringComparison.Ordinal);

        // A poll whose time is up answers an empty page whose next stays where it was.
        var empty = await Client.GetAsync($"/events?after={EventFeed.IdOf(only)}&wait=1");
        var emptyPage = await empty.ReadJsonAsync();
        Assert.Empty(emptyPage.GetProperty("data").EnumerateArray());
        Assert.Contains($"after={EventFeed.IdOf(only)}", emptyPage.GetProperty("next").GetString()!, StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task A_long_poll_ends_when_the_client_leaves()
    {
        var end = await EventFeed.EndAsync(Client);
        using var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.GetAsync($"/events?after={end}&wait=60", leave.Token));
        // The service is fine and still answers at once.
        Assert.Empty(await EventFeed.PageAsync(Client, $"/events?after={end}"));
    }

    [BackendTheory]
    [InlineData("after=-1", "after")]
    [InlineData("after=abc", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("wait=61", "wait")]
    [InlineData("wait=1.5", "wait")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string parameter)
    {
        using var response = await Client.GetAsync("/events?" + query);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }
}
