using System.Globalization;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Events;

/// <summary>
/// The relay of the Release executable killed with SIGKILL in the middle of the outbox, and started again: every event
/// reaches Kafka (at least once; deduplication by id leaves each exactly once, in order per key).
/// </summary>
public sealed class RelayCrashTests(ITestOutputHelper output) : IPostgresTests, IDisposable
{
    private const int Events = 20_000;
    private const string Topic = "analyzer.events";

    private readonly MockKafkaCluster kafka = CreateCluster();
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-relay-");

    private static MockKafkaCluster CreateCluster()
    {
        var cluster = new MockKafkaCluster();
        cluster.CreateTopic(Topic);
        return cluster;
    }

    public void Dispose()
    {
        kafka.Dispose();
        directory.Delete(recursive: true);
    }

    [BackendFact]
    public async Task A_relay_killed_mid_outbox_and_restarted_loses_no_event()
    {
        var url = await (await PostgresCluster.Instance).CreateDatabaseAsync();
        await using var database = StorageServices.Open(url);
        string[] arguments = ["--db", url, "--kafka-bootstrap-servers", kafka.BootstrapServers, "--kafka-config", "transaction.timeout.ms=10000", "--log-level", "Warning"];

        await using (var first = await AnalyzerServer.StartAsync(directory.FullName, null, arguments))
        {
            await FillOutboxAsync(database);
            long published;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((published = await CountAsync(database, "published_at IS NOT NULL")) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            await first.Process.KillAsync();
            output.WriteLine($"killed with {published} of {Events} events marked published");
            Assert.InRange(published, 1, Events - 1);
        }
        Assert.True(await CountAsync(database, "published_at IS NULL") > 0);

        await using (var second = await AnalyzerServer.StartAsync(directory.FullName, null, arguments))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
            while (await CountAsync(database, "published_at IS NULL") > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.Equal(0, await CountAsync(database, "published_at IS NULL"));
        }

        // read_committed, as the customer's consumers read: the batch the killed relay left in an open Kafka transaction
        // is never shown (the restarted relay, with the same transactional.id, fences and aborts it). A batch committed
        // to Kafka just before the kill but not yet marked published would come again: the deduplication by id removes it.
        var consumed = KafkaTopic.ReadUntil(kafka.BootstrapServers, Topic, ids => ids.Count >= Events, TimeSpan.FromSeconds(40), readCommitted: true);
        var distinct = KafkaTopic.AssertOrderedPerKey(consumed);
        output.WriteLine($"{consumed.Count} messages read, {distinct.Count} distinct ids ({consumed.Count - distinct.Count} duplicates removed by id)");
        Assert.Equal(Events, distinct.Count);
    }

    /// <summary>Many events at once, as a burst of changes would leave them (20 entities, so that keys share partitions).</summary>
    private static async Task FillOutboxAsync(Database database)
    {
        await using var session = await database.BeginWriteAsync(null, CancellationToken.None);
        await session.ExecuteAsync(
            "INSERT INTO outbox_events (type, subject, entity_key, data, occurred_at) "
            + "SELECT 'citizen.updated', '/imports/' || (n % 20) || '/citizens/' || n, 'import:' || (n % 20), "
            + "'{\"import_id\":' || (n % 20) || ',\"citizen_id\":' || n || ',\"links_changed\":[]}', "
            + (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ToString(CultureInfo.InvariantCulture)
            + $" FROM generate_series(1, {Events}) AS n", CancellationToken.None);
        await session.CommitAsync(CancellationToken.None);
    }

    private static async Task<long> CountAsync(Database database, string condition)
    {
        await using var session = await database.ConnectAsync(CancellationToken.None);
        await using var command = session.Command("SELECT count(*) FROM outbox_events WHERE " + condition);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
