using System.Net;
using Analyzer.Events;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Events;

public sealed class SqliteOutboxPurgeApp : SqliteApp
{
    public FakeTimeProvider FakeTime { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Time => FakeTime;

    // The tests purge themselves, at the times they choose; the timer would purge as well each time the clock moves.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:PURGE_INTERVAL_MINUTES"] = "0" };
}

public sealed class PostgresOutboxPurgeApp : PostgresApp
{
    public FakeTimeProvider FakeTime { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Time => FakeTime;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:PURGE_INTERVAL_MINUTES"] = "0" };
}

public sealed class SqliteOutboxPurgeTests(SqliteOutboxPurgeApp app) : OutboxPurgeTests<SqliteOutboxPurgeApp>(app, app.FakeTime);

public sealed class PostgresOutboxPurgeTests(PostgresOutboxPurgeApp app) : OutboxPurgeTests<PostgresOutboxPurgeApp>(app, app.FakeTime), IPostgresTests;

/// <summary>
/// Events are purged <c>--event-retention</c> days (7) after they occurred (no relay) or were published (relay), never
/// unpublished while a relay is configured; <c>GET /events</c> then answers 410 to a client that would miss some.
/// </summary>
public abstract class OutboxPurgeTests<TApp>(TApp app, FakeTimeProvider time) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    private OutboxStore Outbox => app.Services.GetRequiredService<OutboxStore>();

    private Task<int> PurgeAsync() => app.Services.GetServices<IPurge>().OfType<OutboxPurge>().Single().PurgeAsync(time.GetUtcNow(), CancellationToken.None);

    /// <summary>The purge as it runs while a relay is configured (the relay itself is not started: its broker would be needed).</summary>
    private Task<int> PurgeRelayedAsync() =>
        new OutboxPurge(Outbox, Options.Create(new EventsOptions { KafkaBootstrapServers = "127.0.0.1:9" })).PurgeAsync(time.GetUtcNow(), CancellationToken.None);

    /// <summary>Stores an import and returns its import.created event's id, checking that the event carries the service's clock.</summary>
    private async Task<long> ImportEventAsync()
    {
        var end = await EventFeed.EndAsync(Client);
        var importId = await Client.CreateImportAsync(ContractExample());
        var created = Assert.Single(await EventFeed.AfterAsync(Client, end), e => e.GetProperty("type").GetString() == "import.created"
            && e.GetProperty("data").GetProperty("import_id").GetInt64() == importId);
        Assert.Equal(time.GetUtcNow(), created.GetProperty("time").GetDateTimeOffset());
        return EventFeed.IdOf(created);
    }

    [BackendFact]
    public async Task Without_a_relay_events_go_once_the_retention_has_passed_and_the_feed_says_410_to_a_client_behind()
    {
        await ImportEventAsync(); // so that the old event's predecessor is an id above 0
        var old = await ImportEventAsync();
        time.Advance(TimeSpan.FromDays(4));
        var young = await ImportEventAsync();

        await PurgeAsync();
        Assert.Equal(old, EventFeed.IdOf((await EventFeed.PageAsync(Client, $"/events?after={old - 1}&limit=1"))[0]));

        time.Advance(TimeSpan.FromDays(4)); // the old event is 8 days old, the young one 4
        Assert.True(await PurgeAsync() >= 2);

        using (var behind = await Client.GetAsync($"/events?after={old - 1}&limit=5"))
        {
            var problem = await behind.AssertProblemAsync(HttpStatusCode.Gone);
            Assert.Equal(old, problem.GetProperty("purged_through").GetInt64());
            Assert.Equal($"/events?limit=5&after={old}", problem.GetProperty("next").GetString());
        }
        using (var waiting = await Client.GetAsync($"/events?after={old - 1}&wait=5"))
        {
            await waiting.AssertProblemAsync(HttpStatusCode.Gone); // at once, not after the wait
        }
        Assert.Equal(young, EventFeed.IdOf((await EventFeed.PageAsync(Client, $"/events?after={old}&limit=1"))[0]));
        Assert.Equal(young, EventFeed.IdOf((await EventFeed.PageAsync(Client, "/events?after=0&limit=1"))[0]));
    }

    [BackendFact]
    public async Task With_a_relay_an_unpublished_event_stays_however_old_and_a_published_one_goes_after_the_retention()
    {
        var waiting = await ImportEventAsync();
        time.Advance(TimeSpan.FromDays(30));
        await PurgeRelayedAsync();
        Assert.Equal(waiting, EventFeed.IdOf((await EventFeed.PageAsync(Client, $"/events?after={waiting - 1}&limit=1"))[0]));

        await Outbox.MarkPublishedAsync(1, waiting, CancellationToken.None); // as the relay does once Kafka acknowledged them
        var unpublished = await ImportEventAsync();
        time.Advance(TimeSpan.FromDays(6));
        await PurgeRelayedAsync();
        Assert.Equal(waiting, EventFeed.IdOf((await EventFeed.PageAsync(Client, $"/events?after={waiting - 1}&limit=1"))[0]));

        time.Advance(TimeSpan.FromDays(2)); // published 8 days ago
        Assert.True(await PurgeRelayedAsync() >= 1);
        using (var behind = await Client.GetAsync($"/events?after={waiting - 1}"))
        {
            Assert.Equal(waiting, (await behind.AssertProblemAsync(HttpStatusCode.Gone)).GetProperty("purged_through").GetInt64());
        }
        Assert.Equal(unpublished, EventFeed.IdOf((await EventFeed.PageAsync(Client, $"/events?after={waiting}&limit=1"))[0]));
    }
}
