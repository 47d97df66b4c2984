namespace Analyzer.Web;

/// <summary>
/// The service listens before its database is reached and migrated (a PostgreSQL still starting is waited for, up to
/// <c>--db-wait</c>): meanwhile <c>/health/live</c> is 200, <c>/health</c> and <c>/health/ready</c> are 503, and every
/// other request is 503 problem+json with <c>Retry-After</c>, so that probes and load balancers see a service that is
/// starting rather than a closed port, and nothing reaches tables that may not exist yet. <see cref="Open"/> lets
/// requests through once the database is ready.
/// </summary>
public sealed class StartupGate
{
    /// <summary>How long a request that arrives just before the gate opens waits for it (a SQLite start migrates in milliseconds).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => opened.Task.IsCompleted;

    public void Open() => opened.TrySetResult();

    /// <summary>Completes when the gate opens: background work (job workers, the Kafka relay) starts only then.</summary>
    public Task WhenOpenAsync(CancellationToken cancellationToken) => opened.Task.WaitAsync(cancellationToken);

    /// <summary>True once the gate is open; waits up to <paramref name="wait"/> for it.</summary>
    public async Task<bool> WaitOpenAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (IsOpen)
        {
            return true;
        }
        try
        {
            await opened.Task.WaitAsync(wait, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Not open in time, or the request went away: either way, not open for it.
            return false;
        }
    }

    public const string Detail = "The service is starting: its database cannot be reached yet or is being migrated; send the request again in "
        + "5 seconds (GET /health/ready answers 200 once it can serve).";
}

/// <summary>The middleware of <see cref="StartupGate"/>.</summary>
public static class StartupGateMiddleware
{
    /// <summary>Answers 503 problem+json with <c>Retry-After</c> while the gate is closed, except for the health probes.</summary>
    public static IApplicationBuilder UseStartupGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var gate = context.RequestServices.GetRequiredService<StartupGate>();
        if (context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
            || await gate.WaitOpenAsync(StartupGate.Grace, context.RequestAborted))
        {
            await next(context);
            return;
        }
        Unavailable.SetRetryAfter(context.Response);
        await TypedResults.Problem(detail: StartupGate.Detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: Unavailable.Title).ExecuteAsync(context);
    });
}
