using System.Text.Json.Nodes;

namespace Analyzer.Jobs;

/// <summary>The errors a job records that no synchronous answer gave: problem details (RFC 9457) as JSON text.</summary>
public static class JobProblems
{
    public static string WorkerLost(int attempts) => Problem(
        "The job's worker stopped", StatusCodes.Status500InternalServerError,
        $"the job was started {attempts} times and each time its worker stopped before it finished (the process died or lost the database); "
        + "nothing of it was stored. Send the request again.");

    public static string Unexpected(int attempts) => Problem(
        "The job failed", StatusCodes.Status500InternalServerError,
        $"the job failed {attempts} times on an unexpected error (it is in the service's log); nothing of it was stored. Send the request again.");

    private static string Problem(string title, int status, string detail) =>
        new JsonObject { ["title"] = title, ["status"] = status, ["detail"] = detail }.ToJsonString();
}
