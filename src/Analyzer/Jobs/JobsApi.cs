using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Observability;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Analyzer.Jobs;

/// <summary>
/// Long work as durable jobs: <c>GET /jobs</c> (newest first, keyset pages, by state and kind), <c>GET /jobs/{id}</c>,
/// <c>DELETE /jobs/{id}</c> (cancel). Jobs are made by <see cref="AsyncRequests"/> and run by <see cref="JobWorkers"/>.
/// </summary>
public static class JobsApi
{
    public const int MaxLimit = 1000;

    public const int DefaultLimit = 100;

    private const string JobIdDescription = "The job's id, as the 202 answer's Location gave it.";

    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddSettings<JobsOptions>();
        services.AddAnalyzerGauge("analyzer.jobs", "{job}", "Jobs per state (label state), as read from the database at most 5 s ago",
            provider => provider.GetRequiredService<JobGauges>().Measure());
        return services
            .AddSingleton<JobGauges>()
            .AddSingleton<JobStore>()
            .AddSingleton<RunningJobs>()
            .AddSingleton<JobReplay>()
            .AddSingleton<JobIntake>()
            .AddSingleton<IPurge, JobPurge>()
            .AddHostedService<JobWorkers>();
    }

    private static readonly ContractParameter[] ListParameters =
    [
        new("state", ParameterLocation.Query, "Only jobs in this state.", () => new OpenApiSchema
        {
            Type = JsonSchemaType.String, Enum = [.. JobStates.Names.Select(n => (JsonNode)JsonValue.Create(n))],
        }),
        new("kind", ParameterLocation.Query, "Only jobs of this kind.", () => new OpenApiSchema
        {
            Type = JsonSchemaType.String, Enum = [.. JobKind.All.Select(k => (JsonNode)JsonValue.Create(k.Name))],
        }),
        new("limit", ParameterLocation.Query, $"Jobs per page, 1–{MaxLimit}.", () => new OpenApiSchema
        {
            Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1", Maximum = MaxLimit.ToString(CultureInfo.InvariantCulture),
            Default = JsonValue.Create(DefaultLimit),
        }),
        new("after", ParameterLocation.Query, "Keyset pagination: only jobs older than this job id (the last id of the previous page); next holds the link.",
            () => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" }),
    ];

    public static RouteGroupBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/jobs").WithTags("Jobs").RequireAnalyzerScopes();
        group.MapGet("", ListJobs).WithName("ListJobs")
            .WithSummary("Every job, newest first, a page at a time")
            .WithDescription("Filtered by state and kind; next is the link to the following page (keyset: after=the last id), or null on the last page. "
                + "Finished jobs are kept for --job-retention days.")
            .DocumentsParameters(ListParameters)
            .ProducesContract(StatusCodes.Status200OK, JobSchemas.JobPage, "A page of jobs.", JobExamples.JobPage)
            .ProducesValidationProblem();
        group.MapGet("/{job_id:id}", GetJob).WithName("GetJob")
            .WithSummary("One job: its state, progress and outcome")
            .ProducesContract(StatusCodes.Status200OK, JobSchemas.JobData, "The job as it is now.", JobExamples.SucceededJob)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{job_id:id}", CancelJob).WithName("CancelJob")
            .WithSummary("Cancel a job")
            .WithDescription("A queued job is cancelled at once and never starts. A running job is asked to stop: it does at its next checkpoint "
                + "(within a second or 10,000 rows) and rolls back, nothing of it remains; it then reads cancelled. Cancelling a cancelled job "
                + "again is a 202 as well; a job that succeeded or failed is a 409. Needs analyzer:write when authentication is on.")
            .ProducesContract(StatusCodes.Status202Accepted, JobSchemas.JobData, "Cancelled (queued) or asked to stop (running): the job as it is now.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    private static async Task<IResult> ListJobs(HttpRequest request, JobStore store, RunningJobs running, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var (state, kind) = ReadFilters(request.Query, errors);
        var limit = QueryNumbers.Read(request.Query, "limit", DefaultLimit, 1, MaxLimit, errors);
        long? after = null;
        if (request.Query.ContainsKey("after"))
        {
            if (request.Query["after"].ToString().Length == 0)
            {
                errors.Add("after", "must be the id the page starts after; leave after out for the first page");
            }
            else
            {
                after = QueryNumbers.Read(request.Query, "after", 0, 0, long.MaxValue, errors);
            }
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }
        var (jobs, more) = await store.ListAsync(state, kind, after, (int)limit, cancellationToken);
        var next = more ? NextPage(request, jobs[^1].Id) : null;
        return new JobPageResult(jobs, next, running);
    }

    /// <summary>state and kind, each one of its names or an error naming it.</summary>
    private static (JobState? State, string? Kind) ReadFilters(IQueryCollection query, ValidationErrors errors)
    {
        JobState? state = null;
        if (query.ContainsKey("state"))
        {
            state = JobStates.Parse(query["state"].ToString());
            if (state is null)
            {
                errors.Add("state", $"must be one of {string.Join(", ", JobStates.Names)}");
            }
        }
        string? kind = null;
        if (query.ContainsKey("kind"))
        {
            kind = JobKind.Named(query["kind"].ToString())?.Name;
            if (kind is null)
            {
                errors.Add("kind", $"must be one of {string.Join(", ", JobKind.All.Select(k => k.Name))}");
            }
        }
        return (state, kind);
    }

    private static async Task<IResult> GetJob(
        [FromRoute(Name = "job_id"), Description(JobIdDescription)] string jobId, JobStore store, RunningJobs running, CancellationToken cancellationToken)
    {
        var job = PathIds.TryParseImportId(jobId, out var id) ? await store.FindAsync(id, cancellationToken) : null;
        return job is null
            ? Problems.NotFound($"job {jobId} does not exist")
            : new WrittenJson(StatusCodes.Status200OK, w => JobJson.Write(w, job, running.ProgressOf(job.Id)));
    }

    private static async Task<IResult> CancelJob(
        [FromRoute(Name = "job_id"), Description(JobIdDescription)] string jobId, JobStore store, RunningJobs running, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!PathIds.TryParseImportId(jobId, out var id))
        {
            return Problems.NotFound($"job {jobId} does not exist");
        }
        // Stop it here first if this process runs it: on SQLite its load holds the write lock the cancel request needs.
        await running.CancelAsync(id);
        var (outcome, job) = await store.CancelAsync(id, time.GetUtcNow(), cancellationToken);
        return outcome switch
        {
            CancelOutcome.NotFound => Problems.NotFound($"job {jobId} does not exist"),
            CancelOutcome.AlreadyFinished when job!.State != JobState.Cancelled =>
                Problems.Conflict($"job {jobId} has already {job.State.ToName()}; there is nothing to cancel"),
            _ => new WrittenJson(StatusCodes.Status202Accepted, w => JobJson.Write(w, job!, running.ProgressOf(job!.Id)), job!.Href),
        };
    }

    private static string NextPage(HttpRequest request, long lastId)
    {
        var parameters = request.Query.Where(q => q.Key != "after").ToDictionary(q => q.Key, q => q.Value.ToString());
        parameters["after"] = lastId.ToString(CultureInfo.InvariantCulture);
        return request.PathBase + request.Path + new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(parameters).ToQueryString().ToString();
    }

    /// <summary>A page of <c>GET /jobs</c>: <c>{"data": [...], "next": "/jobs?after=..." or null}</c>.</summary>
    private sealed class JobPageResult(IReadOnlyList<Job> jobs, string? next, RunningJobs running) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = JsonData.ContentType;
            await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, AnalyzerJsonContext.WriterOptions);
            writer.WriteStartObject();
            writer.WriteStartArray("data"u8);
            foreach (var job in jobs)
            {
                JobJson.Write(writer, job, running.ProgressOf(job.Id));
            }
            writer.WriteEndArray();
            writer.WriteString("next"u8, next);
            writer.WriteEndObject();
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}

/// <summary>Deletes finished jobs (and their bodies) after <c>--job-retention</c> days, and forgets idempotency keys after 24 hours.</summary>
public sealed class JobPurge(JobStore store, IOptions<JobsOptions> options) : IPurge
{
    public string What => "finished jobs";

    public Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        store.PurgeAsync(now - TimeSpan.FromDays(options.Value.JobRetentionDays), now - JobStore.IdempotencyKeyLifetime, cancellationToken);
}
