using Analyzer.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Analyzer.Web;

public static class HealthApi
{
    public static IServiceCollection AddAnalyzerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return services;
    }

    /// <summary><c>GET /health</c>: 200 when the database answers <c>SELECT 1</c> within a second, else 503.</summary>
    public static IEndpointConventionBuilder MapHealth(this IEndpointRouteBuilder app) =>
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResponseWriter = async (context, report) =>
            {
                context.Response.ContentType = JsonData.ContentType;
                await context.Response.WriteAsync(
                    report.Status == HealthStatus.Healthy ? """{"status":"ok"}""" : """{"status":"unavailable"}""",
                    context.RequestAborted);
            },
        }).WithTags("Health").WithName("GetHealth");

    private sealed class DatabaseHealthCheck(ICitizenStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await using var connection = await store.OpenConnectionAsync(timeout.Token);
                await using var command = connection.CreateCommand(null, "SELECT 1");
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
