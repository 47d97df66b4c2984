using Analyzer.Docs;
using Analyzer.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Analyzer.Web;

public static class HealthApi
{
    public static IServiceCollection AddAnalyzerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [DatabaseTag]);
        return services;
    }

    /// <summary>The tag of the database check: /health, /health/ready and gRPC health checking (Grpc/) report it.</summary>
    public const string DatabaseTag = "database";

    /// <summary>The tag of checks that only add details to <c>/health/ready</c> (the events relay's lag), never failing it.</summary>
    public const string ReadyDetailsTag = "ready-details";

    /// <summary>
    /// <c>/health</c> (the contract's) and <c>/health/ready</c>: 200 when the database answers
    /// <c>SELECT 1</c> within a second, else 503. <c>/health/live</c>: 200 while the process serves.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var withDatabase = new HealthCheckOptions { Predicate = check => check.Tags.Contains(DatabaseTag), ResponseWriter = WriteStatus };
        // MapHealthChecks accepts every method; health answers GET and HEAD only.
        var getOrHead = new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]);
        app.MapHealthChecks("/health", withDatabase).WithMetadata(getOrHead).WithTags("Health").WithName("GetHealth")
            .WithSummary("The contract's health: whether the service serves and its database answers")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.Health, "The database answered SELECT 1 within a second.", ContractExamples.HealthOk)
            .ProducesContract(StatusCodes.Status503ServiceUnavailable, ContractSchemas.Health, "The database did not answer in time.", ContractExamples.HealthUnavailable);
        var ready = new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(DatabaseTag) || check.Tags.Contains(ReadyDetailsTag),
            ResponseWriter = WriteStatusAndDetails,
        };
        app.MapHealthChecks("/health/ready", ready).WithMetadata(getOrHead).WithTags("Health").WithName("GetReadiness")
            .WithSummary("Readiness: whether the database answers SELECT 1 within a second")
            .WithDescription("details.events: the outbox events not yet published to Kafka (unpublished, oldest_unpublished_age_seconds) and whether a Kafka relay is configured.")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.Health, "The database answered SELECT 1 within a second.", ContractExamples.HealthOk)
            .ProducesContract(StatusCodes.Status503ServiceUnavailable, ContractSchemas.Health, "The database did not answer in time.", ContractExamples.HealthUnavailable);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteStatus })
            .WithMetadata(getOrHead).WithTags("Health").WithName("GetLiveness")
            .WithSummary("Liveness: whether the process serves, whatever the database does")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.Health, "The process serves.", ContractExamples.HealthOk);
        return app;
    }

    private static Task WriteStatus(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = JsonData.ContentType;
        return context.Response.WriteAsync(
            report.Status == HealthStatus.Healthy ? """{"status":"ok"}""" : """{"status":"unavailable"}""",
            context.RequestAborted);
    }

    /// <summary>The status, and the data of the checks that report any under <c>details</c> (by check name).</summary>
    private static async Task WriteStatusAndDetails(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = JsonData.ContentType;
        await using var json = new System.Text.Json.Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status == HealthStatus.Healthy ? "ok" : "unavailable");
        json.WriteStartObject("details");
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Data.Count > 0))
        {
            json.WriteStartObject(name);
            foreach (var (key, value) in entry.Data)
            {
                switch (value)
                {
                    case bool flag:
                        json.WriteBoolean(key, flag);
                        break;
                    case long whole:
                        json.WriteNumber(key, whole);
                        break;
                    case double number:
                        json.WriteNumber(key, number);
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    private sealed class DatabaseHealthCheck(Database database, StartupGate gate) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                if (!await gate.WaitOpenAsync(StartupGate.Grace, timeout.Token))
                {
                    return HealthCheckResult.Unhealthy("the service is starting: its database is not reached or migrated yet");
                }
                await using var session = await database.ConnectAsync(timeout.Token);
                await using var command = session.Command("SELECT 1");
                await command.ExecuteScalarAsync(timeout.Token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return HealthCheckResult.Unhealthy("the database did not answer SELECT 1 within a second", e);
            }
        }
    }
}

