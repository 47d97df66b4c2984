using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Events;

/// <summary>The service on PostgreSQL with its Kafka relay pointed at a mock cluster of its own.</summary>
public sealed class KafkaPostgresApp : PostgresApp
{
    public const string Topic = "analyzer.events";

    public MockKafkaCluster Kafka { get; } = CreateCluster();

    private static MockKafkaCluster CreateCluster()
    {
        var cluster = new MockKafkaCluster();
        cluster.CreateTopic(Topic);
        return cluster;
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Analyzer:KAFKA_BOOTSTRAP_SERVERS"] = Kafka.BootstrapServers,
        // The mock cluster answers at once; a short transaction timeout keeps a batch stuck on a dead broker short.
        ["Analyzer:KAFKA_CONFIG"] = "transaction.timeout.ms=10000;message.timeout.ms=9000",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Kafka.Dispose();
    }
}

/// <summary>The Kafka relay: what the service commits reaches a read_committed consumer once per id, in order per key, through broker failures.</summary>
public sealed class KafkaRelayTests(KafkaPostgresApp app) : IClassFixture<KafkaPostgresApp>, IPostgresTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    private HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task Every_event_of_a_workflow_arrives_once_per_id_in_order_per_key()
    {
        var start = await EventFeed.EndAsync(Client);
        var imports = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            imports.Add(await Client.CreateImportAsync(ContractExample()));
        }
        foreach (var (importId, round) in imports.SelectMany(id => Enumerable.Range(0, 4).Select(round => (id, round))))
        {
            using var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{round % 3 + 1}", $$"""{"apartment": {{round + 10}}}""");
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        var name = "kafka_" + Guid.NewGuid().ToString("N")[..8];
        using (var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")))
        {
            csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var uploaded = await Client.PostAsync($"/datasets?name={name}", csv);
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }
        using (var updated = await Client.PatchJsonAsync($"/datasets/{name}/rows/1", """{"b": "w"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }
        using (var deleted = await Client.DeleteAsync($"/datasets/{name}/rows/2"))
        {
            Assert.True(deleted.IsSuccessStatusCode);
        }

        var expected = await EventFeed.AfterAsync(Client, start);
        Assert.Equal(3 + 12 + 3, expected.Count);
        var wanted = expected.Select(EventFeed.IdOf).ToHashSet();
        var consumed = KafkaTopic.ReadUntil(app.Kafka.BootstrapServers, KafkaPostgresApp.Topic,
            ids => wanted.IsSubsetOf(ids), Patience);

        var mine = consumed.Where(e => wanted.Contains(e.Id)).ToList();
        Assert.Equal(wanted.Order(), mine.Select(e => e.Id).Order()); // each once: no failure happened, so no duplicate either
        KafkaTopic.AssertOrderedPerKey(mine);
        foreach (var cloudEvent in expected)
        {
            var message = mine.Single(e => e.Id == EventFeed.IdOf(cloudEvent));
            Assert.Equal(cloudEvent.ToString(), message.Body.ToString());
            var data = cloudEvent.GetProperty("data");
            var key = data.TryGetProperty("import_id", out var importId) ? $"import:{importId.GetInt64()}" : $"dataset:{data.GetProperty("dataset").GetString()}";
            Assert.Equal(key, message.Key);
        }
        await AssertDrainedAsync();
    }

    [BackendFact]
    public async Task Brokers_down_for_seconds_the_outbox_grows_then_drains_and_nothing_is_lost()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        await AssertDrainedAsync();
        var start = await EventFeed.EndAsync(Client);
        for (var broker = 1; broker <= MockKafkaCluster.Brokers; broker++)
        {
            app.Kafka.SetBrokerDown(broker);
        }
        long grownTo;
        try
        {
            for (var i = 0; i < 20; i++)
            {
                using var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/{i % 3 + 1}", $$"""{"apartment": {{i}}}""");
                Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            }
            grownTo = (await ReadyDetailsAsync()).GetProperty("unpublished").GetInt64();
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            for (var broker = 1; broker <= MockKafkaCluster.Brokers; broker++)
            {
                app.Kafka.SetBrokerUp(broker);
            }
        }
        Assert.True(grownTo >= 20, $"unpublished while the brokers were down: {grownTo}");
        await AssertDrainedAsync();

        var wanted = (await EventFeed.AfterAsync(Client, start)).Select(EventFeed.IdOf).ToHashSet();
        Assert.Equal(20, wanted.Count);
        var consumed = KafkaTopic.ReadUntil(app.Kafka.BootstrapServers, KafkaPostgresApp.Topic,
            ids => wanted.IsSubsetOf(ids), Patience);
        var received = KafkaTopic.AssertOrderedPerKey(consumed);
        Assert.Subset(received, wanted);
    }

    private async Task<JsonElement> ReadyDetailsAsync()
    {
        using var ready = await Client.GetAsync("/health/ready");
        var body = await ready.ReadJsonAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body.ToString());
        var events = body.GetProperty("details").GetProperty("events");
        Assert.True(events.GetProperty("kafka_relay").GetBoolean());
        return events;
    }

    /// <summary>Waits (bounded) until the relay has published every event of the outbox.</summary>
    private async Task AssertDrainedAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        long unpublished;
        while ((unpublished = (await ReadyDetailsAsync()).GetProperty("unpublished").GetInt64()) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, unpublished);
    }
}
