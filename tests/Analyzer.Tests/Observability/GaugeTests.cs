using System.Net;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Analyzer.Tests.Jobs;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Observability;

public sealed class SqliteGaugeTests : GaugeTests
{
    protected override Task<string> DatabaseUrlAsync() => Task.FromResult("sqlite://" + Path.Combine(Directory.FullName, "analyzer.db"));
}

public sealed class PostgresGaugeTests : GaugeTests, IPostgresTests
{
    protected override async Task<string> DatabaseUrlAsync() => await (await PostgresCluster.Instance).CreateDatabaseAsync();
}

/// <summary>
/// The jobs per state and the Kafka relay's lag as gauges of <c>/metrics</c>, on a service process of its own, as an operator
/// runs it: exact values, and a scrape that still answers while their queries fail.
/// </summary>
public abstract class GaugeTests
{
    protected DirectoryInfo Directory { get; } = System.IO.Directory.CreateTempSubdirectory("analyzer-gauges-");

    /// <summary>How long a gauge may take to show a change: it is read from the database at most every 5 s.</summary>
    private static readonly TimeSpan GaugeReads = TimeSpan.FromSeconds(30);

    protected abstract Task<string> DatabaseUrlAsync();

    [BackendFact]
    public async Task Jobs_per_state_and_the_relays_lag_are_gauges_and_a_failing_query_keeps_the_scrape_answering()
    {
        try
        {
            await CheckGaugesAsync();
        }
        finally
        {
            Directory.Delete(recursive: true);
        }
    }

    private async Task CheckGaugesAsync()
    {
        var url = await DatabaseUrlAsync();
        // No workers: the jobs stay queued. A relay whose broker does not answer: the events stay unpublished.
        await using var server = await AnalyzerServer.StartAsync(Directory.FullName, null,
            "--db", url, "--workers", "0", "--kafka-bootstrap-servers", "127.0.0.1:9", "--grpc-port", "0", "--log-level", "Warning");
        var jobs = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            jobs.Add((await server.Client.PostAsyncJobAsync("/imports", JobClient.Json(ContractExample().ToJsonString()))).GetProperty("id").GetInt64());
        }
        await server.Client.CreateImportAsync(ContractExample());

        var samples = await server.Client.ScrapeUntilAsync(s => (long)s.Sum("analyzer_jobs", ("state", "queued")) == 3
            && s.Sum("analyzer_outbox_unpublished") >= 4 && s.Sum("analyzer_outbox_oldest_unpublished_age_seconds") >= 1, GaugeReads);
        Assert.Equal(3, samples.Sum("analyzer_jobs", ("state", "queued")));
        Assert.Equal(0, samples.Sum("analyzer_jobs", ("state", "running")));
        Assert.Equal(0, samples.Sum("analyzer_jobs", ("state", "succeeded")));
        Assert.True(samples.Sum("analyzer_outbox_unpublished") >= 4, "3 jobs queued and an import stored, not published"); // 3 job.state_changed, 1 import.created
        Assert.True(samples.Sum("analyzer_outbox_oldest_unpublished_age_seconds") >= 1, "the oldest unpublished event's age does not grow");

        await using var database = StorageServices.Open(url);
        await using (var session = await database.ConnectAsync(CancellationToken.None))
        {
            await session.ExecuteAsync("ALTER TABLE jobs RENAME TO jobs_away", CancellationToken.None);
            await session.ExecuteAsync("ALTER TABLE outbox_events RENAME TO outbox_away", CancellationToken.None);
        }
        // Long enough for the gauges to have been read again, and to have failed.
        var failing = await server.Client.ScrapeAsync();
        for (var attempt = 0; attempt < 40; attempt++)
        {
            await Task.Delay(200);
            failing = await server.Client.ScrapeAsync();
        }
        Assert.Equal(3, failing.Sum("analyzer_jobs", ("state", "queued"))); // the last value read
        Assert.True(failing.Sum("analyzer_outbox_unpublished") >= 4);
        await using (var session = await database.ConnectAsync(CancellationToken.None))
        {
            await session.ExecuteAsync("ALTER TABLE jobs_away RENAME TO jobs", CancellationToken.None);
            await session.ExecuteAsync("ALTER TABLE outbox_away RENAME TO outbox_events", CancellationToken.None);
        }
        using (var cancel = await server.Client.DeleteAsync($"/jobs/{jobs[0]}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }
        samples = await server.Client.ScrapeUntilAsync(s => (long)s.Sum("analyzer_jobs", ("state", "cancelled")) == 1, GaugeReads);
        Assert.Equal(1, samples.Sum("analyzer_jobs", ("state", "cancelled")));
        Assert.Equal(2, samples.Sum("analyzer_jobs", ("state", "queued")));
    }
}
