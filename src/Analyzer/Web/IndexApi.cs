using System.Text.Json.Serialization;
using Analyzer.Docs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Web;

/// <summary>
/// <c>GET /</c>: what a person who opens the service's address needs to go on. A browser (<c>Accept: text/html</c>)
/// gets the dashboard's page; any other client the JSON index of where the documentation, the OpenAPI document and
/// the health check are. Open without a token, like them (the dashboard asks for a sign-in when the API needs one).
/// </summary>
public static class IndexApi
{
    private static readonly Lazy<Task<byte[]>> Page = new(Dashboard.IndexHtmlAsync);

    public static IEndpointRouteBuilder MapIndex(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], Index).WithTags("Health").WithName("GetIndex")
            .WithSummary("Where to go from here: the dashboard for browsers; the documentation, the OpenAPI document, the health check")
            .WithDescription("Needs no token. With Accept: text/html (a browser) the dashboard's page; otherwise {\"name\", \"docs\", \"openapi\", \"health\"}: paths on this service.")
            .Produces<ServiceIndex>(StatusCodes.Status200OK, JsonData.ContentType, "text/html")
            .AllowAnonymous();
        return app;
    }

    private static async Task<Results<JsonHttpResult<ServiceIndex>, FileContentHttpResult>> Index(HttpRequest request)
    {
        request.HttpContext.Response.Headers.Vary = "Accept";
        if (Dashboard.WantsHtml(request))
        {
            Dashboard.Secure(request.HttpContext.Response);
            return TypedResults.Bytes(await Page.Value, "text/html; charset=utf-8");
        }
        return TypedResults.Json(
            new ServiceIndex("Analyzer", request.PathBase + DocsApi.UiPath, request.PathBase + DocsApi.DocumentPath, request.PathBase + "/health"),
            IndexJsonContext.Default.ServiceIndex, JsonData.ContentType);
    }
}

/// <summary>The answer of <c>GET /</c>: paths of this service.</summary>
public sealed record ServiceIndex(string Name, string Docs, string Openapi, string Health);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServiceIndex))]
public sealed partial class IndexJsonContext : JsonSerializerContext;
