using System.IO.Compression;
using Analyzer.Datasets;
using Analyzer.Storage;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>What every endpoint shares: options (<see cref="Settings"/>), the clock, problem+json errors, the id route constraint.</summary>
public static class WebPipeline
{
    public static IServiceCollection AddAnalyzerWeb(this IServiceCollection services)
    {
        services.AddSettings<WebOptions>();
        services.AddSettings<StorageOptions>();
        services.AddSettings<DatasetsOptions>();
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<WebOptions>>((kestrel, web) =>
            {
                kestrel.Limits.MaxRequestBodySize = web.Value.MaxRequestBodyBytes;
                SetClientLimits(kestrel.Limits);
                kestrel.AddServerHeader = false; // no banner naming the server to whoever probes
                Tls.Configure(kestrel, web.Value);
            });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StartupGate>();
        services.Configure<RouteOptions>(routes => routes.SetParameterPolicy<IdRouteConstraint>("id"));
        services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ["application/json", "application/problem+json", "text/plain", "text/csv"];
        });
        // Fastest: a 10,000-citizen answer still shrinks 7.5× (2.4 MB to 330 KB); higher levels cost far more CPU per request.
        services.Configure<BrotliCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
        services.AddUploadLimit();
        services.AddRateLimits();
        services.AddTls();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<WebOptions>>((cors, web) =>
        {
            var origins = web.Value.CorsOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (origins.Length > 0)
            {
                cors.AddDefaultPolicy(policy => policy
                    .WithOrigins(origins)
                    .AllowAnyHeader()
                    .AllowAnyMethod()
                    .WithExposedHeaders(RequestLogging.RequestIdHeader, "Location", "Retry-After"));
            }
        });
        services.AddOptions<HostOptions>().Configure<IOptions<WebOptions>>((host, web) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(web.Value.ShutdownDrainSeconds + web.Value.ShutdownTimeoutSeconds));
        services.AddSingleton<ShutdownDrain>().AddHostedService(provider => provider.GetRequiredService<ShutdownDrain>());
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails.Status == StatusCodes.Status503ServiceUnavailable && context.Exception is { } exception
                && Unavailable.IsUnavailable(exception))
            {
                Unavailable.SetRetryAfter(context.HttpContext.Response);
                context.ProblemDetails.Title = Unavailable.Title;
                context.ProblemDetails.Detail = Unavailable.Detail;
            }
            if (context.ProblemDetails.Status == StatusCodes.Status507InsufficientStorage)
            {
                context.ProblemDetails.Title = Unavailable.FullTitle;
                context.ProblemDetails.Detail = Unavailable.FullDetail;
            }
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status404NotFound => "Nothing is served at this path.",
                StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on this path.",
                StatusCodes.Status413PayloadTooLarge => "The request body is larger than the service accepts.",
                >= 500 => "An unexpected error occurred; it has been logged with the request id.",
                _ => ReasonPhrases.GetReasonPhrase(context.ProblemDetails.Status ?? 500),
            };
            context.ProblemDetails.Extensions["request_id"] = context.HttpContext.TraceIdentifier;
        });
        AnswerProblemsWhateverTheAccept(services);
        services.Configure<ExceptionHandlerOptions>(options =>
            // Kestrel reports a body over the size limit as BadHttpRequestException(413): keep its status. A database
            // that cannot be reached or is busy is 503 with Retry-After, a full disk 507 (see Unavailable); anything else is a 500.
            options.StatusCodeSelector = exception => exception switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                _ when Unavailable.IsStorageFull(exception) => StatusCodes.Status507InsufficientStorage,
                _ when Unavailable.IsUnavailable(exception) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            });
        return services;
    }

    /// <summary>
    /// Limits on slow and abusive clients, set here rather than left to Kestrel's defaults so that they are stated (and
    /// tested: tests/Analyzer.Tests/Reliability/AbusiveClientTests.cs). Headers trickled in (slowloris) are cut after
    /// 10 s; a body slower than 240 bytes/s after a 5 s grace is cut (408); an idle keep-alive connection is closed after
    /// 130 s (longer than the 60–120 s idle timeouts of common proxies, so the proxy closes first); headers are at most
    /// 32 KiB in all and a request line 8 KiB (431/414). Connections are not capped: idle ones cost a socket and little memory.
    /// </summary>
    private static void SetClientLimits(KestrelServerLimits limits)
    {
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
        limits.MaxRequestHeadersTotalSize = 32 * 1024;
        limits.MaxRequestLineSize = 8 * 1024;
    }

    /// <summary>
    /// The stock problem details writer declines when the Accept header rules JSON out (<c>Accept: text/html</c>), and
    /// the status code pages then answer <c>text/plain</c> "Status Code: 404" and the exception handler an empty body.
    /// Every error this service shapes is problem+json: the stock writers stay, behind one that always accepts.
    /// </summary>
    private static void AnswerProblemsWhateverTheAccept(IServiceCollection services)
    {
        var stock = services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter)).ToList();
        foreach (var descriptor in stock)
        {
            services.Remove(descriptor);
        }
        services.AddSingleton<IProblemDetailsWriter>(provider => new AnyAcceptProblemDetailsWriter([.. stock.Select(descriptor =>
            (IProblemDetailsWriter)(descriptor.ImplementationInstance
                ?? descriptor.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!)))]));
    }

    private sealed class AnyAcceptProblemDetailsWriter(IProblemDetailsWriter[] writers) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => writers.Length > 0;

        public ValueTask WriteAsync(ProblemDetailsContext context) =>
            (writers.FirstOrDefault(writer => writer.CanWrite(context)) ?? writers[0]).WriteAsync(context);
    }

    public static WebApplication UseAnalyzerWeb(this WebApplication app)
    {
        app.Use(ShutdownDrain.CloseConnectionsWhenStopping(app.Lifetime, app.Services.GetRequiredService<ShutdownDrain>()));
        app.UseSecurityHeaders();
        app.UseTls();
        app.UseRequestLogging();
        app.UseResponseCompression();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseStartupGate();
        app.UseAllowedHosts();
        app.Use(RejectTrailingSlash);
        app.UseCors();
        app.Use(AnswerOptionsWithAllow);
        return app;
    }

    /// <summary>
    /// OPTIONS on a routed path is 200 with <c>Allow</c>, and every 405 carries <c>Allow</c>: both taken
    /// from the routing table. Routing answers a method no endpoint of the path accepts with its own 405
    /// endpoint, which lists the path's methods in <c>Allow</c>; this adds OPTIONS and, for an OPTIONS
    /// request, turns that 405 into 200. CORS preflights never get here: the CORS policy answers them.
    /// </summary>
    private static async Task AnswerOptionsWithAllow(HttpContext context, RequestDelegate next)
    {
        // Only routing's 405 endpoint sets Allow: extend it just before the response starts.
        context.Response.OnStarting(() =>
        {
            var response = context.Response;
            if (response.Headers.Allow.Count > 0)
            {
                response.Headers.Allow = string.Join(", ", response.Headers.Allow.ToString()
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Append(HttpMethods.Options)
                    .Distinct(StringComparer.OrdinalIgnoreCase));
            }
            return Task.CompletedTask;
        });
        await next(context);
        if (HttpMethods.IsOptions(context.Request.Method)
            && context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed
            && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
    }

    /// <summary>Routing would match <c>/imports/</c> to <c>/imports</c>; the contract says it is a 404.</summary>
    private static Task RejectTrailingSlash(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value;
        if (path is { Length: > 1 } && path[^1] == '/')
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return next(context);
    }
}
