using Confluent.Kafka;

namespace Analyzer.Events;

/// <summary>The librdkafka configurations of the relay's producer and of the <c>events tail</c> consumer: pure functions of the settings.</summary>
public static class KafkaConfigs
{
    public const string ApplicationName = "analyzer";

    /// <summary>The header that carries the event id (it is also the body's <c>id</c>).</summary>
    public const string EventIdHeader = "ce_id";

    /// <summary>
    /// The customer's idempotent producer: <c>acks=all</c>, <c>enable.idempotence=true</c>, at most 5 requests in flight,
    /// <c>transactional.id</c> = application name + host (the relay wraps each batch in a Kafka transaction). The
    /// <c>--kafka-config</c> properties are applied on top (SASL, TLS, timeouts, another transactional.id), except that
    /// they cannot weaken the three delivery guarantees.
    /// </summary>
    public static ProducerConfig Producer(EventsOptions options, string host)
    {
        var config = new ProducerConfig(Properties(options))
        {
            TransactionalId = $"{ApplicationName}-{host}",
            ClientId = $"{ApplicationName}-relay-{host}",
            LingerMs = 5,
        };
        Apply(config, options);
        config.Acks = Acks.All;
        config.EnableIdempotence = true;
        config.MaxInFlight = Math.Min(config.MaxInFlight ?? 5, 5);
        return config;
    }

    /// <summary>
    /// The <c>events tail</c> consumer: <c>isolation.level=read_committed</c> (only committed relay transactions),
    /// <c>enable.auto.commit=false</c> (offsets are committed after the events were printed).
    /// </summary>
    public static ConsumerConfig Consumer(EventsOptions options, string group, bool fromBeginning)
    {
        var config = new ConsumerConfig(Properties(options))
        {
            GroupId = group,
            ClientId = $"{ApplicationName}-tail",
            AutoOffsetReset = fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
        };
        Apply(config, options);
        config.IsolationLevel = IsolationLevel.ReadCommitted;
        config.EnableAutoCommit = false;
        return config;
    }

    private static Dictionary<string, string> Properties(EventsOptions options) =>
        new(StringComparer.Ordinal) { ["bootstrap.servers"] = options.KafkaBootstrapServers };

    private static void Apply(ClientConfig config, EventsOptions options)
    {
        KafkaProperties.TryParse(options.KafkaConfig, out var properties, out _);
        foreach (var (key, value) in properties)
        {
            config.Set(key, value);
        }
    }
}
