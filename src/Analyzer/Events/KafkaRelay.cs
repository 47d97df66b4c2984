using Analyzer.Web;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Analyzer.Events;

/// <summary>
/// Publishes the outbox to Kafka (with <c>--kafka-bootstrap-servers</c>): in id order, a batch per Kafka transaction,
/// each message keyed by its entity (so one import's or dataset's events stay in order in one partition), the event
/// id in the <see cref="KafkaConfigs.EventIdHeader"/> header and in the CloudEvents body. A batch is marked published
/// only after its transaction committed, i.e. after the brokers acknowledged every message; a failed batch is aborted
/// (read_committed consumers never see it) and sent again. A crash between the commit and the mark sends the batch
/// again: at least once, never lost, deduplicated by id (README "Events").
/// </summary>
public sealed partial class KafkaRelay(
    OutboxStore outbox, RelayLeadership leadership, RelayLag lag, IOptions<EventsOptions> options, StartupGate gate,
    ILogger<KafkaRelay> logger) : BackgroundService
{
    /// <summary>Events per batch (per Kafka transaction).</summary>
    public const int BatchSize = 5000;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LeaderRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.KafkaBootstrapServers.Length == 0)
        {
            return; // no Kafka: the outbox is read through GET /events only
        }
        try
        {
            await gate.WhenOpenAsync(stoppingToken); // not before the database is reached and migrated
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // stopped before it could start
        }
        KafkaNative.Load();
        LogNativeLibrary(KafkaNative.Loaded, Library.VersionString);
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await leadership.TryAcquireAsync(stoppingToken))
                {
                    await UpdateLagAsync(stoppingToken);
                    await Task.Delay(LeaderRetry, stoppingToken);
                    continue;
                }
                LogLeader();
                await RelayAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is KafkaException or System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogRelayFailed(e.Message, backoff.TotalSeconds);
                await SafeDelayAsync(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                await UpdateLagAsync(stoppingToken);
            }
        }
        await leadership.ReleaseAsync();
    }

    /// <summary>Relays while this process leads; returns when leadership is lost, throws on a failure of Kafka or the database.</summary>
    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var producer = new ProducerBuilder<string, byte[]>(KafkaConfigs.Producer(settings, Environment.MachineName))
            .SetLogHandler((_, message) => LogLibrdkafka(message.Level.ToString(), message.Facility, message.Message))
            .Build();
        producer.InitTransactions(KafkaTimeout);
        var checkedAt = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (DateTimeOffset.UtcNow - checkedAt > TimeSpan.FromSeconds(5))
            {
                if (!await leadership.StillHeldAsync(stoppingToken))
                {
                    return;
                }
                checkedAt = DateTimeOffset.UtcNow;
            }
            var wake = OutboxSignal.Next;
            var batch = await outbox.ReadUnpublishedAsync(BatchSize, stoppingToken);
            if (batch.Count == 0)
            {
                lag.Set(new OutboxLag(0, TimeSpan.Zero));
                await Task.WhenAny(wake, Task.Delay(Poll, stoppingToken));
                stoppingToken.ThrowIfCancellationRequested();
                continue;
            }
            PublishBatch(producer, settings.KafkaTopic, batch);
            await outbox.MarkPublishedAsync(batch[0].Id, batch[^1].Id, stoppingToken);
            Published?.Invoke(batch.Count);
            if (batch.Count == BatchSize)
            {
                await UpdateLagAsync(stoppingToken);
            }
            else
            {
                lag.Set(new OutboxLag(0, TimeSpan.Zero));
            }
        }
    }

    /// <summary>Called with the size of every batch marked published (the bench counts them).</summary>
    public static event Action<int>? Published;

    /// <summary>One Kafka transaction: every event of <paramref name="batch"/>, committed (all acknowledged) or aborted and thrown.</summary>
    private static void PublishBatch(IProducer<string, byte[]> producer, string topic, IReadOnlyList<StoredEvent> batch)
    {
        producer.BeginTransaction();
        try
        {
            foreach (var stored in batch)
            {
                var id = System.Text.Encoding.ASCII.GetBytes(stored.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                producer.Produce(topic, new Message<string, byte[]>
                {
                    Key = stored.Key,
                    Value = CloudEvent.From(stored).ToUtf8(),
                    Headers = new Headers { { KafkaConfigs.EventIdHeader, id } },
                });
            }
            producer.CommitTransaction(KafkaTimeout);
        }
        catch (KafkaException)
        {
            TryAbort(producer);
            throw;
        }
    }

    private static void TryAbort(IProducer<string, byte[]> producer)
    {
        try
        {
            producer.AbortTransaction(KafkaTimeout);
        }
        catch (KafkaException)
        {
            // A fatal error: the producer is rebuilt by the caller's next round, which fences this one.
        }
    }

    private async Task UpdateLagAsync(CancellationToken stoppingToken)
    {
        try
        {
            var current = await outbox.LagAsync(stoppingToken);
            if (lag.Set(current))
            {
                LogLagGrows(current.Unpublished, current.OldestAge.TotalSeconds);
            }
        }
        catch (System.Data.Common.DbException)
        {
            // The database is away too; the lag keeps its last value and the next round measures again.
        }
    }

    private static async Task SafeDelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop's condition ends the relay.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka relay: librdkafka {Version} loaded from {Path}")]
    private partial void LogNativeLibrary(string? path, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka relay: this process relays the outbox")]
    private partial void LogLeader();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka relay: {Reason}; retrying in {Seconds} s")]
    private partial void LogRelayFailed(string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka relay lag grows: {Unpublished} events not published, the oldest {Seconds:0.0} s old")]
    private partial void LogLagGrows(long unpublished, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Level} {Facility}: {Message}")]
    private partial void LogLibrdkafka(string level, string facility, string message);
}

/// <summary>The relay's last measured lag, for <c>/health/ready</c>; <see cref="Set"/> says when it grew enough to log.</summary>
public sealed class RelayLag
{
    private readonly Lock gate = new();
    private OutboxLag current = new(0, TimeSpan.Zero);
    private long loggedAt;

    public OutboxLag Current
    {
        get
        {
            lock (gate)
            {
                return current;
            }
        }
    }

    /// <summary>Records <paramref name="lag"/>; true when it is worth a log line: at least 10 events and twice the last logged count.</summary>
    public bool Set(OutboxLag lag)
    {
        lock (gate)
        {
            current = lag;
            if (lag.Unpublished < 10)
            {
                loggedAt = 0;
                return false;
            }
            if (lag.Unpublished >= 2 * Math.Max(loggedAt, 500))
            {
                loggedAt = lag.Unpublished;
                return true;
            }
            return false;
        }
    }
}
