using System.Globalization;
using System.Text.Json.Nodes;
using Analyzer.Jobs;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>The shapes of jobs (<see cref="JobJson"/>): one job, its envelope and a page of <c>GET /jobs</c>.</summary>
public static class JobSchemas
{
    private static OpenApiSchema Timestamp(string description) => new()
    {
        Type = JsonSchemaType.String | JsonSchemaType.Null,
        Format = "date-time",
        Description = description,
    };

    private static OpenApiSchema Enum(string description, IEnumerable<string> values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
        Description = description,
    };

    public static readonly ContractSchema Job = new("Job", document => ContractSchemas.Object(
        "A request stored to run in the background (POST /imports, /datasets or /upload with Prefer: respond-async or async=true).",
        new()
        {
            ["id"] = ContractSchemas.Integer("The job's id.", minimum: "1", format: "int64"),
            ["kind"] = Enum("What it does: import (POST /imports), dataset.create (POST /datasets), dataset.upload (POST /upload).",
                JobKind.All.Select(k => k.Name)),
            ["state"] = Enum("queued → running → succeeded | failed | cancelled. A running job whose worker died is queued work again "
                + "(attempts counts the starts, at most --job-max-attempts).", JobStates.Names),
            ["progress"] = ContractSchemas.Object("Rows loaded so far, updated at least every second or every 10,000 rows; total once known "
                + "(a CSV's row count after its scan; an import's at the end), else null.", new()
                {
                    ["done"] = ContractSchemas.Integer(null, minimum: "0", format: "int64"),
                    ["total"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int64", Minimum = "0" },
                }, required: ["done", "total"]),
            ["created_at"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When it was queued, in UTC." },
            ["started_at"] = Timestamp("When its latest attempt started, or null."),
            ["finished_at"] = Timestamp("When it succeeded, failed or was cancelled, or null."),
            ["attempts"] = ContractSchemas.Integer("How many times it was started.", minimum: "0", format: "int32"),
            ["cancel_requested"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "DELETE /jobs/{id} asked a running job to stop; it rolls back at its next checkpoint." },
            ["result"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "succeeded: the data of the synchronous answer (import: {\"import_id\": 7}; dataset: the dataset) and href, its path. Else null.",
            },
            ["error"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "failed: the problem (RFC 9457) the synchronous call would have answered: a validation failure carries the same errors map. Else null.",
            },
            ["href"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The job's path: /jobs/{id}." },
        },
        required: ["id", "kind", "state", "progress", "created_at", "started_at", "finished_at", "attempts", "cancel_requested", "result", "error", "href"]));

    public static readonly ContractSchema JobData = new("JobData", document => ContractSchemas.Data("The job as it is now.", Job.Reference(document)));

    public static readonly ContractSchema JobPage = new("JobPage", document => ContractSchemas.Object(
        "Jobs newest first, a page at a time.",
        new()
        {
            ["data"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Job.Reference(document) },
            ["next"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The link to the following page, or null on the last." },
        },
        required: ["data", "next"]));

    public static IReadOnlyList<ContractSchema> All { get; } = [Job, JobData, JobPage];
}

/// <summary>Examples of jobs; each call returns a new node.</summary>
public static class JobExamples
{
    private const string CreatedAt = "2026-11-21T12:00:00Z";

    public static JsonNode QueuedJob() => Envelope(Job(1, "queued", 0, null, null, null, null));

    public static JsonNode SucceededJob() => Envelope(Job(1, "succeeded", 3, 3, CreatedAt, new JsonObject { ["import_id"] = 1, ["href"] = "/imports/1" }, null));

    public static JsonNode JobPage() => new JsonObject { ["data"] = new JsonArray(Job(1, "succeeded", 3, 3, CreatedAt, new JsonObject { ["import_id"] = 1, ["href"] = "/imports/1" }, null)), ["next"] = null };

    private static JsonObject Envelope(JsonObject job) => new() { ["data"] = job };

    private static JsonObject Job(long id, string state, long done, long? total, string? finishedAt, JsonObject? result, JsonObject? error) => new()
    {
        ["id"] = id,
        ["kind"] = "import",
        ["state"] = state,
        ["progress"] = new JsonObject { ["done"] = done, ["total"] = total },
        ["created_at"] = CreatedAt,
        ["started_at"] = finishedAt is null ? null : CreatedAt,
        ["finished_at"] = finishedAt,
        ["attempts"] = finishedAt is null ? 0 : 1,
        ["cancel_requested"] = false,
        ["result"] = result,
        ["error"] = error,
        ["href"] = string.Create(CultureInfo.InvariantCulture, $"/jobs/{id}"),
    };
}
