using System.Net;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Jobs;

/// <summary>
/// Two processes of the Release executable on one PostgreSQL database: the worker running a job is killed with SIGKILL
/// mid-job, and the job is taken over by the other process once its lease (2 seconds here) has run out.
/// </summary>
public sealed class JobTakeoverTests : IPostgresTests, IDisposable
{
    private const int Rows = 100_000;

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-jobs-");

    public void Dispose() => directory.Delete(recursive: true);

    [BackendFact]
    public async Task A_worker_killed_mid_job_leaves_the_job_to_another_process_which_loads_it_once()
    {
        var database = await (await PostgresCluster.Instance).CreateDatabaseAsync();
        string[] arguments = ["--db", database, "--workers", "1", "--job-lease", "2", "--log-level", "Warning"];
        var name = "takeover";
        long id;
        await using (var doomed = await AnalyzerServer.StartAsync(directory.FullName, null, arguments))
        {
            id = (await doomed.Client.PostAsyncJobAsync($"/datasets?name={name}", JobClient.GeneratedCsv(Rows))).GetProperty("id").GetInt64();
            var running = await doomed.Client.WaitForJobAsync(id, job => job.GetProperty("state").GetString() != "queued");
            Assert.Equal("running", running.GetProperty("state").GetString());
            // DisposeAsync kills the process (SIGKILL), its job running.
        }

        await using var survivor = await AnalyzerServer.StartAsync(directory.FullName, null, arguments);
        var job = await survivor.Client.WaitUntilFinishedAsync(id);

        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal(Rows, job.GetProperty("result").GetProperty("row_count").GetInt64());
        using var dataset = await survivor.Client.GetAsync($"/datasets/{name}");
        Assert.Equal(HttpStatusCode.OK, dataset.StatusCode);
        Assert.Equal(Rows, (await dataset.ReadJsonAsync()).GetProperty("data").GetProperty("row_count").GetInt64());
    }
}
