using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerUI;

namespace Analyzer.Docs;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c>, generated from the endpoints and completed by
/// <see cref="ContractDocumentTransformer"/>, and Swagger UI at <c>/docs</c> (its assets are embedded in the
/// Swashbuckle package and served from here; nothing is loaded from elsewhere).
/// </summary>
public static class DocsApi
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string UiPath = "/docs";

    public static IServiceCollection AddAnalyzerDocs(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer<ContractDocumentTransformer>();
        });
        return services;
    }

    public static WebApplication MapDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = UiPath.TrimStart('/');
            options.DocumentTitle = "Analyzer API";
            options.SwaggerEndpoint(DocumentPath, "Analyzer v1");
            options.ConfigObject.ValidatorUrl = null; // no badge from an online validator
            options.ConfigObject.DisplayRequestDuration = true;
            options.ConfigObject.DefaultModelsExpandDepth = 1;
            options.ConfigObject.DocExpansion = DocExpansion.List;
        });
        return app;
    }
}
