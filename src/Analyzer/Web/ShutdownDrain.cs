using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>
/// <c>--shutdown-drain</c>: after SIGTERM the service keeps listening and serving for that many seconds, answering
/// every request with <c>Connection: close</c>, and only then stops as usual (<c>--shutdown-timeout</c> more for the
/// requests in flight). Behind a proxy that keeps connections to the replicas open (nginx's upstream keepalive), a
/// stopping server that closes an idle connection can cross a request the proxy has just sent on it: the proxy gets
/// no answer and may not send a POST or PATCH elsewhere (the replica might have received it), so the client gets a
/// 502 for a request that never reached the service. During the drain every connection is closed by the service
/// right after an answer, which the proxy sees, and the proxy closes the idle ones itself (nginx's upstream
/// <c>keepalive_timeout</c>, shorter than the drain); when the listener then stops, no connection is left to cross.
/// 0, the default: stop at once.
/// </summary>
public sealed partial class ShutdownDrain(IOptions<WebOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    private volatile bool draining;

    /// <summary>
    /// Waits out the drain. The host calls this before it stops any hosted service, the web server among them (which
    /// is registered last, so it would stop first), so the server still listens meanwhile.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var seconds = options.Value.ShutdownDrainSeconds;
        if (seconds <= 0)
        {
            return;
        }
        draining = true;
        LogDraining(logger, seconds);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A middleware that, once the service is stopping, closes each connection after its answer.</summary>
    public static Func<HttpContext, RequestDelegate, Task> CloseConnectionsWhenStopping(IHostApplicationLifetime lifetime, ShutdownDrain drain) => (context, next) =>
    {
        // On starting, not now: the exception handler clears the headers of an answer it replaces.
        context.Response.OnStarting(() =>
        {
            if (drain.draining || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                context.Response.Headers.Connection = "close";
            }
            return Task.CompletedTask;
        });
        return next(context);
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: serving {Seconds} s more with Connection: close before the listener stops (--shutdown-drain)")]
    private static partial void LogDraining(ILogger logger, int seconds);
}
