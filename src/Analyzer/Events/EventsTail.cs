using System.CommandLine;
using System.Globalization;
using Analyzer.Cli;
using Confluent.Kafka;

namespace Analyzer.Events;

/// <summary>
/// <c>analyzer events tail [--from-beginning] [--group ID] [--max-events N]</c>: a Kafka consumer of the events topic with
/// <c>isolation.level=read_committed</c> and <c>enable.auto.commit=false</c> that prints each event (its CloudEvents
/// JSON) as one line and commits the offsets after printing: a crash reprints, never skips.
/// </summary>
public static class EventsTail
{
    /// <summary>Offsets are committed after this many printed events, and whenever the topic goes quiet.</summary>
    private const int CommitEvery = 500;

    public static Command Command(SettingOptions settings)
    {
        var servers = settings.Get((EventsOptions o) => o.KafkaBootstrapServers);
        var topic = settings.Get((EventsOptions o) => o.KafkaTopic);
        var config = settings.Get((EventsOptions o) => o.KafkaConfig);
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the topic's first event when the group has no committed offset (default: only new events)" };
        var group = new Option<string>("--group")
        {
            Description = "Consumer group id: its committed offsets say where to resume (default: analyzer-tail-HOST)",
            DefaultValueFactory = _ => $"analyzer-tail-{Environment.MachineName}",
        };
        var maxEvents = new Option<long>("--max-events") { Description = "Exit after printing this many events (0: run until stopped)", DefaultValueFactory = _ => 0 };
        var tail = new Command("tail", "Print the events of the Kafka topic as JSON lines (read_committed), committing offsets after printing")
        {
            servers, topic, config, fromBeginning, group, maxEvents,
        };
        tail.SetAction(async (parse, cancellationToken) =>
        {
            if (settings.Validate(parse) is { } error)
            {
                return Fail(error);
            }
            var options = settings.Bind<EventsOptions>(parse);
            if (options.KafkaBootstrapServers.Length == 0)
            {
                return Fail("events tail needs --kafka-bootstrap-servers (or ANALYZER_KAFKA_BOOTSTRAP_SERVERS)");
            }
            if (parse.GetValue(group) is not { Length: > 0 } groupId)
            {
                return Fail("--group: must not be empty");
            }
            if (parse.GetValue(maxEvents) is var max && max < 0)
            {
                return Fail("--max-events: must be at least 0");
            }
            KafkaNative.Load();
            var consumerConfig = KafkaConfigs.Consumer(options, groupId, parse.GetValue(fromBeginning));
            try
            {
                await Task.Run(() => Run(consumerConfig, options.KafkaTopic, Console.Out, max, cancellationToken), CancellationToken.None);
                return 0;
            }
            catch (KafkaException e)
            {
                return Fail($"kafka: {e.Error.Reason}", AnalyzerCli.ExitFailure);
            }
        });
        return new Command("events", "The change events published to Kafka") { tail };
    }

    /// <summary>
    /// Consumes <paramref name="topic"/> and writes each event's JSON as a line to <paramref name="output"/> until
    /// <paramref name="maxEvents"/> were printed (0: no limit) or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static long Run(ConsumerConfig config, string topic, TextWriter output, long maxEvents, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { /* librdkafka's chatter stays off the JSON lines */ }).Build();
        consumer.Subscribe(topic);
        long printed = 0;
        var uncommitted = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested && (maxEvents == 0 || printed < maxEvents))
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null || result.IsPartitionEOF)
                {
                    CommitPrinted(consumer, output, ref uncommitted);
                    continue;
                }
                output.WriteLine(System.Text.Encoding.UTF8.GetString(result.Message.Value));
                printed++;
                if (++uncommitted >= CommitEvery)
                {
                    CommitPrinted(consumer, output, ref uncommitted);
                }
            }
            CommitPrinted(consumer, output, ref uncommitted);
        }
        finally
        {
            consumer.Close();
        }
        return printed;
    }

    /// <summary>Flushes what was printed, then commits the consumed offsets.</summary>
    private static void CommitPrinted(IConsumer<string, byte[]> consumer, TextWriter output, ref int uncommitted)
    {
        if (uncommitted == 0)
        {
            return;
        }
        output.Flush();
        consumer.Commit();
        uncommitted = 0;
    }

    private static int Fail(string message, int code = AnalyzerCli.ExitUsage)
    {
        Console.Error.WriteLine($"analyzer: {message}");
        return code;
    }

    /// <summary>The event id of a consumed message (its header), for consumers that deduplicate.</summary>
    public static long? EventId(Headers headers) =>
        headers.TryGetLastBytes(KafkaConfigs.EventIdHeader, out var bytes)
            && long.TryParse(System.Text.Encoding.ASCII.GetString(bytes), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}
