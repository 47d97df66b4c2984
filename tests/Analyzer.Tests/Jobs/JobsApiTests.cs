using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Jobs;

public sealed class SqliteJobsApiTests(SqliteApp app) : JobsApiTests<SqliteApp>(app);

public sealed class PostgresJobsApiTests(PostgresApp app) : JobsApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>Asynchronous imports and uploads run by the service's worker, on each back end.</summary>
public abstract class JobsApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task An_async_import_of_10000_citizens_succeeds_with_the_same_data_as_the_synchronous_call()
    {
        var body = Random(10_000, 5_000, seed: 12, FixedClock.DefaultToday).ToJsonString();
        var queued = await Client.PostAsyncJobAsync("/imports", JobClient.Json(body));
        var document = await ApiDocument.LoadAsync(Client);

        var job = await Client.WaitUntilFinishedAsync(queued.GetProperty("id").GetInt64());

        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal("import", job.GetProperty("kind").GetString());
        Assert.Equal(10_000, job.GetProperty("progress").GetProperty("done").GetInt64());
        Assert.Equal(10_000, job.GetProperty("progress").GetProperty("total").GetInt64());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finished_at").ValueKind);
        var asyncImport = job.GetProperty("result").GetProperty("import_id").GetInt64();
        Assert.Equal($"/imports/{asyncImport}", job.GetProperty("result").GetProperty("href").GetString());
        using (var answer = await Client.GetAsync($"/jobs/{job.GetProperty("id").GetInt64()}"))
        {
            await document.AssertDocumentedAsync(answer, "/jobs/{job_id}");
        }

        var syncImport = await Client.CreateImportAsync(JsonNode.Parse(body)!);
        var expected = await Client.GetCitizensAsync(syncImport);
        var actual = await Client.GetCitizensAsync(asyncImport);
        Assert.Equal(10_000, actual.Count);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.All(expected, pair => Assert.True(JsonNode.DeepEquals(pair.Value, actual[pair.Key]), $"citizen {pair.Key} differs"));
    }

    [BackendFact]
    public async Task A_failing_job_carries_the_errors_of_the_synchronous_answer()
    {
        var invalid = Import(
            Citizen(1, [2], birthDate: "31.02.2019"),
            Citizen(2, []),
            Citizen(3, [3], name: "")).ToJsonString();
        using var synchronous = await Client.PostJsonAsync("/imports", invalid);
        var expected = (await synchronous.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/imports?async=true") { Content = JobClient.Json(invalid) };
        using var accepted = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.False(accepted.Headers.Contains("Preference-Applied"), "async=true is not a Prefer header");
        var id = (await accepted.ReadJsonAsync()).GetProperty("data").GetProperty("id").GetInt64();

        var job = await Client.WaitUntilFinishedAsync(id);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var error = job.GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.GetRawText()), JsonNode.Parse(error.GetProperty("errors").GetRawText())),
            $"synchronous {expected}, job {error}");
        Assert.Equal(JsonValueKind.Null, job.GetProperty("result").ValueKind);
    }

    [BackendFact]
    public async Task The_same_idempotency_key_returns_the_same_job_and_another_request_with_it_is_a_422()
    {
        var key = Guid.NewGuid().ToString();
        var body = ContractExample().ToJsonString();
        var first = await Client.PostAsyncJobAsync("/imports", JobClient.Json(body), key);

        using var again = await Client.SendAsync(JobClient.AsyncRequest("/imports", JobClient.Json(body), key));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("id").GetInt64(), (await again.ReadJsonAsync()).GetProperty("data").GetProperty("id").GetInt64());
        Assert.Equal(first.GetProperty("href").GetString(), again.Headers.Location?.OriginalString);

        using var other = await Client.SendAsync(JobClient.AsyncRequest("/imports", JobClient.Json(Import(Citizen(1, [])).ToJsonString()), key));
        var problem = await other.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains(key, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var spaced = await Client.SendAsync(JobClient.AsyncRequest("/imports", JobClient.Json(body), "a key with spaces"));
        Assert.True((await spaced.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));

        var job = await Client.WaitUntilFinishedAsync(first.GetProperty("id").GetInt64());
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        using var jobs = await Client.GetAsync("/jobs?kind=import&limit=1000");
        var sameKey = (await jobs.ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Count(j => j.GetProperty("id").GetInt64() == first.GetProperty("id").GetInt64());
        Assert.Equal(1, sameKey);
    }

    [BackendFact]
    public async Task A_million_row_csv_job_cancelled_half_way_leaves_no_table_and_no_rows()
    {
        const int Rows = 1_000_000;
        var name = "cancelled_" + Guid.NewGuid().ToString("N")[..8];
        var queued = await Client.PostAsyncJobAsync($"/datasets?name={name}", JobClient.GeneratedCsv(Rows));
        var id = queued.GetProperty("id").GetInt64();

        var loading = await Client.WaitForJobAsync(id, job =>
            job.GetProperty("state").GetString() is not ("queued" or "running") || job.GetProperty("progress").GetProperty("done").GetInt64() >= Rows / 4);
        Assert.Equal("running", loading.GetProperty("state").GetString());
        Assert.Equal(Rows, loading.GetProperty("progress").GetProperty("total").GetInt64());
        using (var cancel = await Client.DeleteAsync($"/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var job = await Client.WaitUntilFinishedAsync(id);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("progress").GetProperty("done").GetInt64() < Rows, job.ToString());
        using (var dataset = await Client.GetAsync($"/datasets/{name}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, dataset.StatusCode);
        }
        Assert.False(await JobClient.DatasetTableExistsAsync(app.Services.GetRequiredService<Analyzer.Storage.Database>(), name));

        using var again = await Client.DeleteAsync($"/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [BackendFact]
    public async Task An_async_csv_upload_succeeds_with_the_dataset_as_result_and_a_finished_job_cannot_be_cancelled()
    {
        var name = "async_" + Guid.NewGuid().ToString("N")[..8];
        var queued = await Client.PostAsyncJobAsync($"/upload?name={name}&async=true", JobClient.GeneratedCsv(25_000));
        Assert.Equal("dataset.upload", queued.GetProperty("kind").GetString());
        var job = await Client.WaitUntilFinishedAsync(queued.GetProperty("id").GetInt64());

        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(25_000, job.GetProperty("result").GetProperty("row_count").GetInt64());
        Assert.Equal($"/datasets/{name}", job.GetProperty("result").GetProperty("href").GetString());
        Assert.Equal(25_000, job.GetProperty("progress").GetProperty("done").GetInt64());
        using var cancel = await Client.DeleteAsync($"/jobs/{job.GetProperty("id").GetInt64()}");
        await cancel.AssertProblemAsync(HttpStatusCode.Conflict);
        using var missing = await Client.DeleteAsync("/jobs/999999999");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendTheory]
    [InlineData("/jobs?state=bogus", "state")]
    [InlineData("/jobs?kind=bogus", "kind")]
    [InlineData("/jobs?after=-1", "after")]
    [InlineData("/jobs?after=", "after")]
    [InlineData("/jobs?limit=0", "limit")]
    public async Task Bad_list_parameters_are_a_400_naming_them(string url, string parameter)
    {
        using var response = await Client.GetAsync(url);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [BackendFact]
    public async Task Async_other_than_true_or_false_is_a_400_naming_it_and_stores_nothing()
    {
        using var response = await Client.PostJsonAsync("/imports?async=maybe", ContractExample().ToJsonString());
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("async", out _), problem.ToString());
    }
}
