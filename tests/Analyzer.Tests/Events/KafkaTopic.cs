using System.Text.Json;
using Analyzer.Events;
using Confluent.Kafka;

namespace Analyzer.Tests.Events;

/// <summary>An event as a read_committed consumer received it: its key, the id header, the partition and offset, and the body.</summary>
internal sealed record ConsumedEvent(string Key, long HeaderId, int Partition, long Offset, JsonElement Body)
{
    public long Id => EventFeed.IdOf(Body);
}

/// <summary>Reads the events topic as the service's own consumer configuration does (<see cref="KafkaConfigs.Consumer"/>: read_committed).</summary>
internal static class KafkaTopic
{
    /// <summary>Every event of the topic from the beginning, until <paramref name="done"/> holds for the distinct ids read or <paramref name="timeout"/> passes.</summary>
    /// <param name="readCommitted">false: read_uncommitted, which also shows the messages of aborted or never finished transactions.</param>
    public static List<ConsumedEvent> ReadUntil(string bootstrapServers, string topic, Func<IReadOnlySet<long>, bool> done, TimeSpan timeout, bool readCommitted = true)
    {
        var options = new EventsOptions { KafkaBootstrapServers = bootstrapServers, KafkaTopic = topic };
        var config = KafkaConfigs.Consumer(options, "test-" + Guid.NewGuid().ToString("N"), fromBeginning: true);
        if (!readCommitted)
        {
            config.IsolationLevel = IsolationLevel.ReadUncommitted;
        }
        using var consumer = new ConsumerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var events = new List<ConsumedEvent>();
        var ids = new HashSet<long>();
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (!done(ids) && DateTime.UtcNow < deadline)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
                {
                    using var body = JsonDocument.Parse(result.Message.Value);
                    events.Add(new ConsumedEvent(result.Message.Key, EventsTail.EventId(result.Message.Headers) ?? -1,
                        result.Partition.Value, result.Offset.Value, body.RootElement.Clone()));
                    ids.Add(events[^1].Id);
                }
            }
        }
        finally
        {
            consumer.Close();
        }
        return events;
    }

    /// <summary>
    /// The consumer-side guarantees: each event's header id is its body id; after deduplication by id, the ids of each
    /// key come in increasing order (their partition's order); returns the distinct ids.
    /// </summary>
    public static HashSet<long> AssertOrderedPerKey(IReadOnlyList<ConsumedEvent> events)
    {
        Assert.All(events, e => Assert.Equal(e.Id, e.HeaderId));
        var seen = new HashSet<long>();
        var lastPerKey = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var consumed in events.OrderBy(e => e.Partition).ThenBy(e => e.Offset))
        {
            if (!seen.Add(consumed.Id))
            {
                continue; // a duplicate: the promise is at least once
            }
            if (lastPerKey.TryGetValue(consumed.Key, out var last))
            {
                Assert.True(consumed.Id > last, $"key {consumed.Key}: event {consumed.Id} after {last}");
            }
            lastPerKey[consumed.Key] = consumed.Id;
        }
        return seen;
    }
}
