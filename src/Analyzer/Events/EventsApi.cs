using System.Globalization;
using System.Text.Json.Nodes;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Analyzer.Events;

/// <summary>
/// <c>GET /events</c>: the outbox as a feed for clients without Kafka (keyset pages, oldest first; <c>wait</c> long-polls),
/// and the services of the events feature: the outbox reader, and the Kafka relay when it is configured.
/// </summary>
public static class EventsApi
{
    public const int MaxLimit = 1000;
    public const int DefaultLimit = 100;
    public const int MaxWaitSeconds = 60;

    /// <summary>How often a long-poll looks for events that another replica committed (this process's wake it at once).</summary>
    private static readonly TimeSpan ReplicaPoll = TimeSpan.FromSeconds(1);

    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddSettings<EventsOptions>();
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<IPurge, OutboxPurge>();
        OutboxGauges.Register(services);
        services.AddSingleton<RelayLag>();
        services.AddSingleton<RelayLeadership>();
        services.AddHostedService<KafkaRelay>();
        services.AddHealthChecks().AddCheck<OutboxLagHealthCheck>("events", tags: [HealthApi.ReadyDetailsTag]);
        return services;
    }

    private static readonly ContractParameter[] FeedParameters =
    [
        new("after", ParameterLocation.Query, "Keyset: only events with a greater id (the last id of the previous page; next holds the link). 0 or absent: from the oldest event kept. "
            + "An id below the purge horizon (events older than --event-retention are deleted) is a 410.",
            () => Count(0, long.MaxValue, 0)),
        new("limit", ParameterLocation.Query, $"Events per page, 1–{MaxLimit}.", () => Count(1, MaxLimit, DefaultLimit)),
        new("wait", ParameterLocation.Query, $"Seconds to wait, 0–{MaxWaitSeconds}, when no event follows after: the answer comes as soon as one commits (or empty when the time is up).",
            () => Count(0, MaxWaitSeconds, 0)),
    ];

    private static OpenApiSchema Count(long minimum, long maximum, long fallback) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = minimum.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum.ToString(CultureInfo.InvariantCulture),
        Default = JsonValue.Create(fallback),
    };

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/events").WithTags("Events").RequireAnalyzerScopes();
        group.MapGet("", ReadFeed).WithName("ListEvents")
            .WithSummary("Every change as a CloudEvents 1.0 event, oldest first, a page at a time; wait long-polls")
            .WithDescription("The transactional outbox: each change (import.created, import.deleted, citizen.updated, dataset.created|replaced|appended|dropped, "
                + "dataset.row.created|updated|deleted|restored) wrote its event in its own transaction. next is always the link to follow "
                + "(after = the last id of this page, or the same after when the page is empty); with wait the request is held until an event commits. "
                + "The same events go to Kafka when --kafka-bootstrap-servers is set. Events are kept --event-retention days (after their "
                + "publication to Kafka when a relay is configured, else after they occurred); a client whose after lies below the purged ones "
                + "gets a 410 problem whose purged_through is the last purged id and whose next starts after it: it has missed events and must resynchronise.")
            .DocumentsParameters(FeedParameters)
            .Produces<EventPage>(StatusCodes.Status200OK, JsonData.ContentType)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status410Gone);
        return group;
    }

    private static async Task<Results<JsonHttpResult<EventPage>, ValidationProblem, ProblemHttpResult>> ReadFeed(
        HttpRequest request, OutboxStore outbox, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var after = QueryNumbers.Read(request.Query, "after", 0, 0, long.MaxValue, errors);
        var limit = (int)QueryNumbers.Read(request.Query, "limit", DefaultLimit, 1, MaxLimit, errors);
        var wait = QueryNumbers.Read(request.Query, "wait", 0, 0, MaxWaitSeconds, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }
        var read = await ReadOrWaitAsync(outbox, after, limit, TimeSpan.FromSeconds(wait), cancellationToken);
        if (after > 0 && after < read.PurgedThrough)
        {
            return Purged(request, after, read.PurgedThrough);
        }
        var events = read.Events;
        var last = events.Count > 0 ? events[^1].Id : after;
        var page = new EventPage([.. events.Select(CloudEvent.From)], NextPage(request, last));
        return TypedResults.Json(page, EventsJsonContext.Default.EventPage, JsonData.ContentType);
    }

    /// <summary>
    /// The page after <paramref name="after"/>; when it is empty, waits up to <paramref name="wait"/> for this process's
    /// next commit of an event, looking again every <see cref="ReplicaPoll"/> for other replicas' (the client leaving ends it).
    /// </summary>
    internal static async Task<OutboxPage> ReadOrWaitAsync(OutboxStore outbox, long after, int limit, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            var signal = OutboxSignal.Next;
            var page = await outbox.ReadAfterAsync(after, limit, cancellationToken);
            var left = deadline - DateTimeOffset.UtcNow;
            if (page.Events.Count > 0 || left <= TimeSpan.Zero || (after > 0 && after < page.PurgedThrough))
            {
                return page;
            }
            var poll = Task.Delay(left < ReplicaPoll ? left : ReplicaPoll, cancellationToken);
            await Task.WhenAny(signal, poll);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// 410: events after <paramref name="after"/> up to <paramref name="purgedThrough"/> were purged, so the client has
    /// missed some. The problem's <c>purged_through</c> says how far, its <c>next</c> is the feed after them.
    /// </summary>
    private static ProblemHttpResult Purged(HttpRequest request, long after, long purgedThrough) =>
        TypedResults.Problem(
            detail: $"the events after {after.ToString(CultureInfo.InvariantCulture)} up to {purgedThrough.ToString(CultureInfo.InvariantCulture)} "
                + "were purged (--event-retention); resynchronise from the resources, then follow next",
            statusCode: StatusCodes.Status410Gone,
            title: "Gone",
            extensions: new Dictionary<string, object?> { ["purged_through"] = purgedThrough, ["next"] = NextPage(request, purgedThrough) });

    private static string NextPage(HttpRequest request, long lastId)
    {
        var parameters = request.Query.Where(q => q.Key != "after").ToDictionary(q => q.Key, q => q.Value.ToString());
        parameters["after"] = lastId.ToString(CultureInfo.InvariantCulture);
        return request.PathBase + request.Path + new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(parameters).ToQueryString().ToString();
    }

    /// <summary>The relay's lag in <c>/health/ready</c>'s details (never unhealthy: a lagging relay does not stop the service from serving).</summary>
    private sealed class OutboxLagHealthCheck(OutboxStore outbox, IOptions<EventsOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                var lag = await outbox.LagAsync(timeout.Token);
                return HealthCheckResult.Healthy(data: new Dictionary<string, object>
                {
                    ["kafka_relay"] = options.Value.KafkaBootstrapServers.Length > 0,
                    ["unpublished"] = lag.Unpublished,
                    ["oldest_unpublished_age_seconds"] = Math.Round(lag.OldestAge.TotalSeconds, 1),
                });
            }
            catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException)
            {
                return HealthCheckResult.Healthy("the outbox's lag could not be read");
            }
        }
    }
}
