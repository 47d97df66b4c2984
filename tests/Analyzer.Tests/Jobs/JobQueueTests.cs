using System.Net;
using Analyzer.Jobs;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Jobs;

/// <summary>A service that queues jobs but runs none (<c>--workers 0</c>): what waits in the queue can be looked at.</summary>
public sealed class SqliteQueueOnlyApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:WORKERS"] = "0" };
}

public sealed class PostgresQueueOnlyApp : PostgresApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:WORKERS"] = "0" };
}

public sealed class SqliteJobQueueTests(SqliteQueueOnlyApp app) : JobQueueTests<SqliteQueueOnlyApp>(app);

public sealed class PostgresJobQueueTests(PostgresQueueOnlyApp app) : JobQueueTests<PostgresQueueOnlyApp>(app), IPostgresTests;

/// <summary>The queue itself: cancelling queued jobs, claiming, and the retention purge.</summary>
public abstract class JobQueueTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    private JobStore Store => app.Services.GetRequiredService<JobStore>();

    [BackendFact]
    public async Task A_queued_job_that_is_cancelled_never_starts()
    {
        var queued = await Client.PostAsyncJobAsync("/imports", JobClient.Json(ContractExample().ToJsonString()));
        var id = queued.GetProperty("id").GetInt64();
        await Task.Delay(200);
        Assert.Equal("queued", (await Client.GetJobAsync(id)).GetProperty("state").GetString());

        using var cancel = await Client.DeleteAsync($"/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.ReadJsonAsync()).GetProperty("data").GetProperty("state").GetString());

        // A worker looking for work now does not get it.
        while (await Store.ClaimAsync("test-worker", app.Clock.Now, TimeSpan.FromSeconds(30), 3, CancellationToken.None) is { } other)
        {
            Assert.NotEqual(id, other.Id);
            await Store.CommitStateChangeAsync(other.Id, new JobTransition(JobState.Running, JobState.Cancelled, app.Clock.Now), CancellationToken.None);
        }
        var job = await Client.GetJobAsync(id);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.Equal(0, job.GetProperty("attempts").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, job.GetProperty("started_at").ValueKind);
    }

    [BackendFact]
    public async Task A_job_whose_worker_stopped_too_often_fails_instead_of_starting_again()
    {
        var id = (await Client.PostAsyncJobAsync("/imports", JobClient.Json(ContractExample().ToJsonString()))).GetProperty("id").GetInt64();
        var now = app.Clock.Now;
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            // A worker takes it and dies: its lease runs out, and another one takes it over.
            var claimed = await ClaimUntilAsync(id, $"dead-worker-{attempt}", now);
            Assert.Equal(attempt, claimed.Attempts);
            now += TimeSpan.FromMinutes(1);
        }
        Assert.Null(await ClaimOrNullAsync(id, "third-worker", now, maxAttempts: 2));
        var job = await Client.GetJobAsync(id);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal(500, job.GetProperty("error").GetProperty("status").GetInt32());
    }

    private async Task<Job> ClaimUntilAsync(long id, string worker, DateTimeOffset now) =>
        await ClaimOrNullAsync(id, worker, now, maxAttempts: 3) ?? throw new InvalidOperationException($"job {id} was not claimed");

    /// <summary>Claims jobs as <paramref name="worker"/> until it gets <paramref name="id"/>; others (of other tests) are cancelled.</summary>
    private async Task<Job?> ClaimOrNullAsync(long id, string worker, DateTimeOffset now, int maxAttempts)
    {
        while (await Store.ClaimAsync(worker, now, TimeSpan.FromSeconds(30), maxAttempts, CancellationToken.None) is { } job)
        {
            if (job.Id == id)
            {
                return job;
            }
            await Store.CommitStateChangeAsync(job.Id, new JobTransition(JobState.Running, JobState.Cancelled, now), CancellationToken.None);
        }
        return null;
    }

    [BackendFact]
    public async Task Finished_jobs_and_their_bodies_are_purged_after_the_retention_period()
    {
        var id = (await Client.PostAsyncJobAsync("/imports", JobClient.Json(ContractExample().ToJsonString()), "purge-" + Guid.NewGuid())).GetProperty("id").GetInt64();
        Assert.Equal(1, await Store.BodyPartsAsync(id, CancellationToken.None));
        using (var cancel = await Client.DeleteAsync($"/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }
        var purge = app.Services.GetServices<IPurge>().OfType<JobPurge>().Single();
        var finished = app.Clock.Now;

        await purge.PurgeAsync(finished + TimeSpan.FromDays(6), CancellationToken.None);
        Assert.Equal("cancelled", (await Client.GetJobAsync(id)).GetProperty("state").GetString());

        Assert.True(await purge.PurgeAsync(finished + TimeSpan.FromDays(7.5), CancellationToken.None) >= 1);
        using (var gone = await Client.GetAsync($"/jobs/{id}"))
        {
            await gone.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        Assert.Equal(0, await Store.BodyPartsAsync(id, CancellationToken.None));
    }

    [BackendFact]
    public async Task An_idempotency_key_names_a_new_job_once_24_hours_have_passed()
    {
        var key = "day-" + Guid.NewGuid();
        var body = ContractExample().ToJsonString();
        var first = (await Client.PostAsyncJobAsync("/imports", JobClient.Json(body), key)).GetProperty("id").GetInt64();
        var original = app.Clock.Now;
        try
        {
            app.Clock.Now = original + TimeSpan.FromHours(25);
            var second = (await Client.PostAsyncJobAsync("/imports", JobClient.Json(body), key)).GetProperty("id").GetInt64();
            Assert.NotEqual(first, second);
        }
        finally
        {
            app.Clock.Now = original;
        }
    }
}
