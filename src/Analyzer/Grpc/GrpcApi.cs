using Analyzer.Web;
using Grpc.AspNetCore.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Analyzer.Grpc;

/// <summary>
/// The gRPC API (<c>proto/analyzer/v1/analyzer.proto</c>): <see cref="AnalyzerGrpcService"/> beside the REST API, in the
/// same pipeline (request ids, access log, authentication and scopes, the upload limit), plus gRPC health checking
/// and server reflection. Kestrel serves it on <see cref="WebOptions.GrpcPort"/>, HTTP/2 only: without TLS there is
/// no ALPN to negotiate HTTP/2, so a port speaks h2c only when it speaks nothing else.
/// </summary>
public static class GrpcApi
{
    /// <summary>The health-checking service name of the API, as clients ask for it (besides "" for the whole server).</summary>
    public const string ServiceName = "analyzer.v1.Analyzer";

    public static IServiceCollection AddAnalyzerGrpc(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.Interceptors.Add<UnavailableInterceptor>();
            // Without this gRPC routes POST {service}/{method} for every unknown service, and a REST path of two
            // segments asked with another method would get routing's 405 "Allow: POST" instead of its 404.
            options.IgnoreUnknownServices = true;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(options =>
        {
            // As /health/ready: SERVING while the database answers SELECT 1 within a second. Checked on each call, not cached.
            options.Services.Clear();
            options.Services.Map("", check => check.Tags.Contains(HealthApi.DatabaseTag));
            options.Services.Map(ServiceName, check => check.Tags.Contains(HealthApi.DatabaseTag));
            options.UseHealthChecksCache = false;
        });
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<WebOptions>>((kestrel, web) =>
        {
            var grpcPort = web.Value.GrpcPort;
            // Only the gRPC port speaks HTTP/2. Kestrel's windows (1 MiB per connection, 768 KiB per stream) make a
            // 10,000-citizen import (~1.1 MB) wait for window updates: let a stream send 4 MiB, the size of the largest message.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                if (grpcPort != 0 && listen.IPEndPoint?.Port == grpcPort)
                {
                    listen.Protocols = HttpProtocols.Http2;
                }
            });
        });
        return services;
    }

    public static IEndpointRouteBuilder MapAnalyzerGrpc(this IEndpointRouteBuilder app)
    {
        // The proto documents them; the OpenAPI document is the REST API's.
        app.MapGrpcService<AnalyzerGrpcService>().ExcludeFromDescription();
        app.MapGrpcHealthChecksService().ExcludeFromDescription();
        app.MapGrpcReflectionService().ExcludeFromDescription();
        return app;
    }
}
