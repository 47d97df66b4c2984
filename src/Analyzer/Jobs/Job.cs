using System.Text.Json;

namespace Analyzer.Jobs;

public enum JobState { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>What a job does: the endpoint whose request it replays.</summary>
public sealed record JobKind(string Name, string Path, string EndpointName)
{
    public static readonly JobKind Import = new("import", "/imports", "CreateImport");

    public static readonly JobKind DatasetCreate = new("dataset.create", "/datasets", "UploadDataset");

    public static readonly JobKind DatasetUpload = new("dataset.upload", "/upload", "UploadAlias");

    public static IReadOnlyList<JobKind> All { get; } = [Import, DatasetCreate, DatasetUpload];

    public static JobKind? Named(string name) => All.FirstOrDefault(kind => kind.Name == name);
}

/// <summary>A job as stored: its request's description, queue state, progress and outcome (JSON text).</summary>
public sealed record Job(
    long Id,
    string Kind,
    JobState State,
    string Query,
    string? ContentType,
    int Attempts,
    bool CancelRequested,
    long ProgressDone,
    long? ProgressTotal,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Result,
    string? Error)
{
    public string Href => $"/jobs/{Id}";

    public bool IsFinished => JobStates.IsFinished(State);
}

public static class JobStates
{
    public static string ToName(this JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        _ => "cancelled",
    };

    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<JobState>().Select(ToName)];

    public static JobState? Parse(string name) => Enum.GetValues<JobState>().Cast<JobState?>().FirstOrDefault(s => s!.Value.ToName() == name);

    public static bool IsFinished(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}

/// <summary>A job as the API shows it: <c>id, kind, state, progress {done, total}, created_at, ..., result, error</c>.</summary>
public static class JobJson
{
    public static void Write(Utf8JsonWriter writer, Job job, RowProgressView? live = null)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id"u8, job.Id);
        writer.WriteString("kind"u8, job.Kind);
        writer.WriteString("state"u8, job.State.ToName());
        writer.WriteStartObject("progress"u8);
        writer.WriteNumber("done"u8, live?.Done ?? job.ProgressDone);
        if ((live is null ? job.ProgressTotal : live.Total ?? job.ProgressTotal) is { } total)
        {
            writer.WriteNumber("total"u8, total);
        }
        else
        {
            writer.WriteNull("total"u8);
        }
        writer.WriteEndObject();
        WriteTime(writer, "created_at"u8, job.CreatedAt);
        WriteTime(writer, "started_at"u8, job.StartedAt);
        WriteTime(writer, "finished_at"u8, job.FinishedAt);
        writer.WriteNumber("attempts"u8, job.Attempts);
        writer.WriteBoolean("cancel_requested"u8, job.CancelRequested);
        WriteRaw(writer, "result"u8, job.Result);
        WriteRaw(writer, "error"u8, job.Error);
        writer.WriteString("href"u8, job.Href);
        writer.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            writer.WriteString(name, value.UtcDateTime);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteRaw(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? json)
    {
        writer.WritePropertyName(name);
        if (json is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
    }
}

/// <summary>The progress of a job running in this process, fresher than its row (on SQLite the only progress while it runs).</summary>
public sealed record RowProgressView(long Done, long? Total);
