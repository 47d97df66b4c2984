using System.Diagnostics;
using System.Globalization;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Bench;

/// <summary>
/// <c>events</c>: how many events per second the service's Kafka relay publishes. A 3-broker librdkafka mock cluster is
/// started here (the tests' <see cref="MockKafkaCluster"/>), the service (PostgreSQL) relays to it, the bench writes
/// <c>--events</c> events into the outbox in one transaction (as a burst of changes would) and times the relay from
/// that commit until none is unpublished: transactions of 5,000 acknowledged by the brokers, then marked in the database.
/// </summary>
public static class EventsRelay
{
    /// <summary>The mock cluster with the service's topic; the service is started with <c>--kafka-bootstrap-servers</c> pointing at it.</summary>
    public static MockKafkaCluster StartCluster()
    {
        var kafka = new MockKafkaCluster();
        kafka.CreateTopic("analyzer.events");
        return kafka;
    }

    /// <param name="target">The service on PostgreSQL, relaying to the cluster of <see cref="StartCluster"/>.</param>
    public static async Task<int> RunAsync(Target target, int events, int rounds, TextWriter output, CancellationToken cancellationToken)
    {
        var postgres = target.Postgres ?? throw new BenchException("events needs the service started here on PostgreSQL");
        var rates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            await postgres.PsqlAsync(PgCluster.Database,
                "INSERT INTO outbox_events (type, subject, entity_key, data, occurred_at) "
                + "SELECT 'citizen.updated', '/imports/' || (n % 50) || '/citizens/' || n, 'import:' || (n % 50), "
                + "'{\"import_id\":' || (n % 50) || ',\"citizen_id\":' || n || ',\"links_changed\":[1,2]}', "
                + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)
                + $" FROM generate_series(1, {events}) AS n", TimeSpan.FromMinutes(2), cancellationToken);
            var clock = Stopwatch.StartNew();
            while (await UnpublishedAsync(postgres, cancellationToken) > 0)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new BenchException($"the relay did not drain {events} events in 5 minutes; its log:\n{Processes.Tail(target.ServerLogPath!)}");
                }
                await Task.Delay(20, cancellationToken);
            }
            var rate = events / clock.Elapsed.TotalSeconds;
            rates.Add(rate);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {events} events published in {clock.Elapsed.TotalSeconds:0.00} s = {rate:0} events/s"));
        }
        rates.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"relay: median {rates[rates.Count / 2]:0} events/s over {rounds} rounds of {events} (target >= 20000/s); {target.Report()}"));
        return 0;
    }

    private static async Task<long> UnpublishedAsync(PgCluster postgres, CancellationToken cancellationToken)
    {
        var text = await postgres.PsqlAsync(PgCluster.Database, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL", TimeSpan.FromSeconds(30), cancellationToken);
        // psql's aligned output: the one line that is a number is the count.
        return text.Split('\n').Select(line => line.Trim())
            .Select(line => long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : (long?)null)
            .First(count => count is not null)!.Value;
    }
}
