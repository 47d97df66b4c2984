using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Analyzer.Events;

/// <summary>
/// An event before it is stored: its CloudEvents <c>type</c>, <c>subject</c> (the resource's path), the entity
/// <paramref name="Key"/> (the Kafka message key, which keeps one entity's events in order) and <c>data</c> as JSON text.
/// The outbox gives it its id and time (<see cref="Outbox"/>).
/// </summary>
public sealed record EventDraft(string Type, string Subject, string Key, string Data)
{
    /// <summary>A draft whose data is <paramref name="data"/> written by its source-generated type info.</summary>
    public static EventDraft Of<T>(string type, string subject, string key, T data, JsonTypeInfo<T> typeInfo) =>
        new(type, subject, key, JsonSerializer.Serialize(data, typeInfo));
}

/// <summary>The event types and their drafts, one factory per kind of change (see README "Events").</summary>
public static class EventTypes
{
    public const string ImportCreated = "import.created";
    public const string ImportDeleted = "import.deleted";
    public const string CitizenUpdated = "citizen.updated";
    public const string DatasetCreated = "dataset.created";
    public const string DatasetReplaced = "dataset.replaced";
    public const string DatasetAppended = "dataset.appended";
    public const string DatasetDropped = "dataset.dropped";
    public const string DatasetRowCreated = "dataset.row.created";
    public const string DatasetRowUpdated = "dataset.row.updated";
    public const string DatasetRowDeleted = "dataset.row.deleted";
    public const string DatasetRowRestored = "dataset.row.restored";
    public const string JobStateChanged = "job.state_changed";

    /// <summary>Every type the service writes.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ImportCreated, ImportDeleted, CitizenUpdated, DatasetCreated, DatasetReplaced, DatasetAppended, DatasetDropped,
        DatasetRowCreated, DatasetRowUpdated, DatasetRowDeleted, DatasetRowRestored, JobStateChanged,
    ];

    public static string ImportKey(long importId) => "import:" + importId.ToString(CultureInfo.InvariantCulture);

    public static string DatasetKey(string name) => "dataset:" + name;

    private static string ImportPath(long importId) => "/imports/" + importId.ToString(CultureInfo.InvariantCulture);

    public static EventDraft ForImportCreated(long importId, long citizens) =>
        EventDraft.Of(ImportCreated, ImportPath(importId), ImportKey(importId), new ImportCreatedData(importId, citizens), EventsJsonContext.Default.ImportCreatedData);

    public static EventDraft ForImportDeleted(long importId) =>
        EventDraft.Of(ImportDeleted, ImportPath(importId), ImportKey(importId), new ImportDeletedData(importId), EventsJsonContext.Default.ImportDeletedData);

    /// <param name="linked">The other citizens whose relatives or friends changed with this patch (they gained or lost this one).</param>
    public static EventDraft ForCitizenUpdated(long importId, int citizenId, IReadOnlyList<int> linked) =>
        EventDraft.Of(CitizenUpdated, $"{ImportPath(importId)}/citizens/{citizenId.ToString(CultureInfo.InvariantCulture)}", ImportKey(importId),
            new CitizenUpdatedData(importId, citizenId, linked), EventsJsonContext.Default.CitizenUpdatedData);

    public static EventDraft ForDataset(string type, string name, long rows) =>
        EventDraft.Of(type, "/datasets/" + Uri.EscapeDataString(name), DatasetKey(name), new DatasetData(name, rows), EventsJsonContext.Default.DatasetData);

    public static EventDraft ForJobStateChanged(long jobId, string kind, string? from, string to) =>
        EventDraft.Of(JobStateChanged, "/jobs/" + jobId.ToString(CultureInfo.InvariantCulture), "job:" + jobId.ToString(CultureInfo.InvariantCulture),
            new JobStateChangedData(jobId, kind, from, to), EventsJsonContext.Default.JobStateChangedData);

    public static EventDraft ForDatasetRow(string type, string name, long rowId) =>
        EventDraft.Of(type, $"/datasets/{Uri.EscapeDataString(name)}/rows/{rowId.ToString(CultureInfo.InvariantCulture)}", DatasetKey(name),
            new DatasetRowData(name, rowId), EventsJsonContext.Default.DatasetRowData);
}

public sealed record ImportCreatedData(long ImportId, long Citizens);

public sealed record ImportDeletedData(long ImportId);

/// <param name="LinksChanged">Ids of the other citizens whose relatives or friends changed (ascending).</param>
public sealed record CitizenUpdatedData(long ImportId, int CitizenId, IReadOnlyList<int> LinksChanged);

public sealed record DatasetData(string Dataset, long Rows);

public sealed record DatasetRowData(string Dataset, long RowId);

/// <summary>The data of <c>job.state_changed</c>: <c>from</c> is null when the job was just queued.</summary>
public sealed record JobStateChangedData(long JobId, string Kind, string? From, string To);

/// <summary>
/// An event as clients see it: CloudEvents 1.0 in structured mode (JSON), the same in <c>GET /events</c>, in Kafka and in
/// <c>analyzer events tail</c>. <c>id</c> is the outbox id as text (CloudEvents ids are strings; it is also the
/// consumers' deduplication key), <c>data</c> the small object the type describes.
/// </summary>
public sealed record CloudEvent(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    public const string Version = "1.0";

    /// <summary>The <c>source</c> attribute of every event of the service (a URI-reference naming the producer).</summary>
    public const string ServiceSource = "/analyzer";

    public static CloudEvent From(StoredEvent stored)
    {
        using var data = JsonDocument.Parse(stored.Data);
        return new(Version, stored.Id.ToString(CultureInfo.InvariantCulture), ServiceSource, stored.Type,
            DateTimeOffset.FromUnixTimeMilliseconds(stored.OccurredAt), stored.Subject, "application/json", data.RootElement.Clone());
    }

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, EventsJsonContext.Default.CloudEvent);
}

/// <summary>A row of the outbox.</summary>
public sealed record StoredEvent(long Id, string Type, string Subject, string Key, string Data, long OccurredAt);

/// <summary>A page of <c>GET /events</c>: <c>{"data": [...], "next": "/events?after=..."}</c>.</summary>
public sealed record EventPage([property: JsonPropertyName("data")] IReadOnlyList<CloudEvent> Data, [property: JsonPropertyName("next")] string Next);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CloudEvent))]
[JsonSerializable(typeof(EventPage))]
[JsonSerializable(typeof(ImportCreatedData))]
[JsonSerializable(typeof(ImportDeletedData))]
[JsonSerializable(typeof(CitizenUpdatedData))]
[JsonSerializable(typeof(DatasetData))]
[JsonSerializable(typeof(DatasetRowData))]
[JsonSerializable(typeof(JobStateChangedData))]
public sealed partial class EventsJsonContext : JsonSerializerContext;
