using System.Text.Json.Serialization;
using Analyzer.Docs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Web;

/// <summary>
/// <c>GET /</c>: what a person who opens the service's address in a browser (or curls it) needs to go on —
/// where the documentation, the OpenAPI document and the health check are. Open without a token, like them.
/// </summary>
public static class IndexApi
{
    public static IEndpointRouteBuilder MapIndex(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], Index).WithTags("Health").WithName("GetIndex")
            .WithSummary("Where to go from here: the documentation, the OpenAPI document, the health check")
            .WithDescription("Needs no token. Answers {\"name\", \"docs\", \"openapi\", \"health\"}: paths on this service.")
            .Produces<ServiceIndex>(StatusCodes.Status200OK, JsonData.ContentType)
            .AllowAnonymous();
        return app;
    }

    private static JsonHttpResult<ServiceIndex> Index(HttpRequest request) =>
        TypedResults.Json(
            new ServiceIndex("Analyzer", request.PathBase + DocsApi.UiPath, request.PathBase + DocsApi.DocumentPath, request.PathBase + "/health"),
            IndexJsonContext.Default.ServiceIndex, JsonData.ContentType);
}

/// <summary>The answer of <c>GET /</c>: paths of this service.</summary>
public sealed record ServiceIndex(string Name, string Docs, string Openapi, string Health);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServiceIndex))]
public sealed partial class IndexJsonContext : JsonSerializerContext;
