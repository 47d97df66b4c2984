using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Analyzer.Analytics;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Analyzer.Imports;

/// <summary>
/// The imports as a collection: <c>GET /imports</c> (newest first, keyset pages), <c>GET /imports/{id}</c> (one
/// import's summary and towns) and <c>DELETE /imports/{id}</c> (admin scope). Not part of the contract's sections 1–6.
/// </summary>
public static class ImportsListApi
{
    public const int MaxLimit = 1000;

    public const int DefaultLimit = 100;

    public static IServiceCollection AddImportCatalog(this IServiceCollection services) => services.AddSingleton<ImportCatalog>();

    private static readonly ContractParameter[] ListParameters =
    [
        new("limit", ParameterLocation.Query, $"Imports per page, 1–{MaxLimit}.", () => Count(1, MaxLimit, DefaultLimit)),
        new("after", ParameterLocation.Query,
            "Keyset pagination: only imports older than this import id (the last import_id of the previous page); next holds the link.",
            () => Count(0, long.MaxValue, null)),
    ];

    private static OpenApiSchema Count(long minimum, long maximum, long? fallback) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = minimum.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum.ToString(CultureInfo.InvariantCulture),
        Default = fallback is null ? null : JsonValue.Create(fallback.Value),
    };

    public static RouteGroupBuilder MapImportsList(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/imports").WithTags("Imports").RequireAnalyzerScopes();
        group.MapGet("", ListImports).WithName("ListImports")
            .WithSummary("Every import, newest first, a page at a time")
            .WithDescription("Each import's id, when it was stored, its citizen and town counts and its version (the number of PATCHes it has had). "
                + "next is the link to the following page (keyset: after=the last import_id), or null on the last page.")
            .DocumentsParameters(ListParameters)
            .Produces<ImportPage>(StatusCodes.Status200OK, JsonData.ContentType)
            .ProducesValidationProblem();
        group.MapGet("/{import_id:id}", GetImport).WithName("GetImport")
            .WithSummary("One import's summary, with its towns and how many citizens live in each")
            .Produces<DataEnvelope<ImportDetail>>(StatusCodes.Status200OK, JsonData.ContentType)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{import_id:id}", DeleteImport).WithName("DeleteImport")
            .WithSummary("Remove an import with its citizens and relations")
            .WithDescription("One transaction under the import's lock: a PATCH in flight finishes first, later requests get 404. Needs analyzer:admin when authentication is on.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Admin);
        return group;
    }

    private static async Task<Results<JsonHttpResult<ImportPage>, ValidationProblem>> ListImports(
        HttpRequest request, ImportCatalog catalog, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var limit = QueryNumbers.Read(request.Query, "limit", DefaultLimit, 1, MaxLimit, errors);
        long? after = null;
        if (request.Query.ContainsKey("after"))
        {
            after = request.Query["after"].ToString().Length == 0
                ? Invalid(errors, "after", "must be the import_id the page starts after; leave after out for the first page")
                : QueryNumbers.Read(request.Query, "after", 0, 0, long.MaxValue, errors);
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }
        var (imports, more) = await catalog.ListAsync(after, (int)limit, cancellationToken);
        var next = more ? NextPage(request, imports[^1].ImportId) : null;
        return TypedResults.Json(new ImportPage(imports, next), ImportsListJsonContext.Relaxed.ImportPage, JsonData.ContentType);
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<ImportDetail>>, ProblemHttpResult>> GetImport(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId, ImportCatalog catalog, CancellationToken cancellationToken)
    {
        var detail = PathIds.TryParseImportId(importId, out var id) ? await catalog.FindAsync(id, cancellationToken) : null;
        return detail is null ? Problems.ImportNotFound(importId) : JsonData.Ok(detail, ImportsListJsonContext.Relaxed.DataEnvelopeImportDetail);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteImport(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId, ImportCatalog catalog, AnswerCache answers,
        ImportSnapshots snapshots, CancellationToken cancellationToken)
    {
        if (!PathIds.TryParseImportId(importId, out var id) || !await catalog.DeleteAsync(id, cancellationToken))
        {
            return Problems.ImportNotFound(importId);
        }
        answers.ForgetImport(id);
        snapshots.Forget(id);
        return TypedResults.NoContent();
    }

    private static string NextPage(HttpRequest request, long lastId)
    {
        var parameters = request.Query.Where(q => q.Key != "after").ToDictionary(q => q.Key, q => q.Value.ToString());
        parameters["after"] = lastId.ToString(CultureInfo.InvariantCulture);
        return request.PathBase + request.Path + new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(parameters).ToQueryString().ToString();
    }

    private static long? Invalid(ValidationErrors errors, string key, string message)
    {
        errors.Add(key, message);
        return null;
    }

}

/// <summary>A page of <c>GET /imports</c>: <c>{"data": [...], "next": "/imports?after=..." or null}</c>.</summary>
public sealed record ImportPage([property: JsonPropertyName("data")] IReadOnlyList<ImportSummary> Data, [property: JsonPropertyName("next")] string? Next);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ImportPage))]
[JsonSerializable(typeof(DataEnvelope<ImportDetail>))]
public sealed partial class ImportsListJsonContext : JsonSerializerContext
{
    /// <summary>Town names as written (no \u escapes for Cyrillic), like the contract's answers.</summary>
    public static ImportsListJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
    });
}
