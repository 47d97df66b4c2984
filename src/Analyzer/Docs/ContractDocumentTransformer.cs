using System.Text.Json.Nodes;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>
/// Completes the generated document from the routing table: every route endpoint gets an operation (also those
/// the API explorer skips, such as health checks), ids in paths are integers, the contract's JSON shapes and
/// examples replace what the framework cannot see, and errors point at shared problem+json responses.
/// </summary>
internal sealed class ContractDocumentTransformer : IOpenApiDocumentTransformer
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>The error answers of the service, kept once in <c>#/components/responses</c>.</summary>
    private static readonly (int Status, string Name, string Description, ContractSchema Schema, Func<JsonNode> Example)[] ErrorResponses =
    [
        (StatusCodes.Status400BadRequest, "BadRequest",
            "The input breaks a rule of the contract; errors names each broken rule by JSON path. Nothing was changed.",
            ContractSchemas.HttpValidationProblemDetails, ContractExamples.InvalidImport),
        (StatusCodes.Status404NotFound, "NotFound",
            "The import (or citizen) does not exist, or nothing is served at this path. Ids that are not non-negative integers are 404 too.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(404, "Not Found", "import 7 does not exist")),
        (StatusCodes.Status405MethodNotAllowed, "MethodNotAllowed",
            "The path exists but does not accept this method; the Allow header lists the methods it does. Any routed path can answer this.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(405, "Method Not Allowed", "PUT is not allowed on this path.")),
        (StatusCodes.Status409Conflict, "Conflict",
            "The request conflicts with the current state of the resource (for example a dataset name already taken).",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(409, "Conflict", "The request conflicts with the current state of the resource.")),
        (StatusCodes.Status410Gone, "Gone",
            "The resource existed and was removed, or a confirmation link was already used.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(410, "Gone", "The resource is gone.")),
        (StatusCodes.Status413PayloadTooLarge, "PayloadTooLarge",
            "The body is larger than the service accepts (--max-request-body-bytes). Nothing was changed.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(413, "Payload Too Large", "the body is larger than the limit of 134217728 bytes")),
        (StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType",
            "The body is not sent as application/json. Nothing was changed.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(415, "Unsupported Media Type", "send the body as application/json, not text/plain")),
        (StatusCodes.Status500InternalServerError, "InternalServerError",
            "An unexpected error; the answer names the request id under which the details are logged. Nothing was changed.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(500, "An error occurred while processing your request.",
                "An unexpected error occurred; it has been logged with the request id.")),
    ];

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Imports"] = "Data sets of citizens: store, read, correct (contract sections 1–3).",
        ["Analytics"] = "Presents by month and age percentiles by town (contract sections 4–5).",
        ["Health"] = "Probes for load balancers.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Analyzer",
            Version = "1",
            Description =
                "Stores data sets (imports) of citizens of many towns, lets clients read and correct them, and analyses them. " +
                "JSON in and out, UTF-8; every success is {\"data\": ...}. Ids in paths are non-negative integers and paths have no trailing slash. " +
                "Every error is application/problem+json (RFC 9457) with status, title, detail and the request id; " +
                "a request that fails changes nothing. A method a path does not accept is 405 with an Allow header.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var schema in ContractSchemas.All)
        {
            document.Components.Schemas[schema.Id] = schema.Build(document);
        }
        document.Components.Responses ??= new Dictionary<string, IOpenApiResponse>(StringComparer.Ordinal);
        foreach (var (status, name, description, schema, example) in ErrorResponses)
        {
            var response = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    [ProblemJson] = new OpenApiMediaType { Schema = schema.Reference(document), Example = example() },
                },
            };
            if (status == StatusCodes.Status405MethodNotAllowed)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
                {
                    ["Allow"] = new OpenApiHeader
                    {
                        Description = "The methods this path accepts (GET, PATCH, OPTIONS).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                };
            }
            document.Components.Responses[name] = response;
        }

        document.Paths ??= [];
        var endpoints = context.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        foreach (var endpoint in endpoints.Where(IsDocumented))
        {
            var path = OpenApiRoutes.Path(endpoint.RoutePattern);
            if (!document.Paths.TryGetValue(path, out var item) || item is not OpenApiPathItem pathItem)
            {
                pathItem = new OpenApiPathItem();
                document.Paths[path] = pathItem;
            }
            pathItem.Operations ??= [];
            foreach (var method in OpenApiRoutes.Methods(endpoint))
            {
                var httpMethod = new HttpMethod(method);
                if (!pathItem.Operations.TryGetValue(httpMethod, out var operation))
                {
                    operation = NewOperation(endpoint, document);
                    pathItem.Operations[httpMethod] = operation;
                }
                Complete(operation, endpoint, document);
            }
        }

        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var tag in document.Tags)
        {
            tag.Description ??= TagDescriptions.GetValueOrDefault(tag.Name ?? "");
        }
        return Task.CompletedTask;
    }

    private static bool IsDocumented(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true };

    /// <summary>An operation for an endpoint the API explorer does not describe (no handler method), from its metadata.</summary>
    private static OpenApiOperation NewOperation(RouteEndpoint endpoint, OpenApiDocument document)
    {
        var metadata = endpoint.Metadata;
        var operation = new OpenApiOperation
        {
            OperationId = metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
            Summary = metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary,
            Description = metadata.GetMetadata<IEndpointDescriptionMetadata>()?.Description,
            Parameters = [.. endpoint.RoutePattern.Parameters.Select(parameter => (IOpenApiParameter)new OpenApiParameter
            {
                Name = parameter.Name,
                In = ParameterLocation.Path,
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            })],
            Responses = [],
        };
        var tags = metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags).Distinct(StringComparer.Ordinal).ToArray();
        if (tags.Length > 0)
        {
            document.Tags ??= new HashSet<OpenApiTag>();
            operation.Tags = new HashSet<OpenApiTagReference>();
            foreach (var tag in tags)
            {
                if (!document.Tags.Any(t => t.Name == tag))
                {
                    document.Tags.Add(new OpenApiTag { Name = tag });
                }
                operation.Tags.Add(new OpenApiTagReference(tag, document));
            }
        }
        foreach (var produces in metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            operation.Responses[produces.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = produces.Description ?? ReasonPhrases.GetReasonPhrase(produces.StatusCode),
            };
        }
        if (operation.Responses.Count == 0)
        {
            operation.Responses["200"] = new OpenApiResponse { Description = "OK" };
        }
        return operation;
    }

    /// <summary>What the framework cannot know: integer ids, the contract's bodies, the shared error responses.</summary>
    private static void Complete(OpenApiOperation operation, RouteEndpoint endpoint, OpenApiDocument document)
    {
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && parameter.Name is { } name && OpenApiRoutes.IsId(endpoint.RoutePattern, name))
            {
                parameter.Schema = ContractSchemas.PathId(name);
                parameter.Example ??= ContractExamples.PathId(name);
            }
        }

        if (endpoint.Metadata.GetMetadata<ContractRequestMetadata>() is { } request)
        {
            var mediaType = new OpenApiMediaType { Schema = request.Schema.Reference(document) };
            if (request.Examples.Count > 0)
            {
                mediaType.Examples = request.Examples.ToDictionary(
                    example => example.Name,
                    example => (IOpenApiExample)new OpenApiExample { Summary = example.Summary, Value = example.Value() },
                    StringComparer.Ordinal);
            }
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = request.Description,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [JsonData.ContentType] = mediaType },
            };
        }

        operation.Responses ??= [];
        foreach (var response in endpoint.Metadata.GetOrderedMetadata<ContractResponseMetadata>())
        {
            operation.Responses[response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = response.Description ?? ReasonPhrases.GetReasonPhrase(response.StatusCode),
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    [JsonData.ContentType] = new OpenApiMediaType { Schema = response.Schema.Reference(document), Example = response.Example?.Invoke() },
                },
            };
        }
        foreach (var (status, name, _, _, _) in ErrorResponses)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key))
            {
                operation.Responses[key] = new OpenApiResponseReference(name, document);
            }
        }
        var byStatus = operation.Responses.OrderBy(response => response.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (key, response) in byStatus)
        {
            operation.Responses[key] = response;
        }
    }
}

/// <summary>How routes appear in the document.</summary>
public static class OpenApiRoutes
{
    /// <summary>The document's path of a route: <c>/imports/{import_id}/citizens</c> for <c>/imports/{import_id:id}/citizens</c>.</summary>
    public static string Path(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            _ => "",
        })));
        return "/" + string.Join('/', segments);
    }

    /// <summary>The methods a route answers; a route without method metadata (health checks) is documented as GET.</summary>
    public static IReadOnlyList<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? [.. methods] : [HttpMethods.Get];

    /// <summary>Whether the route parameter has the <c>id</c> constraint (<see cref="IdRouteConstraint"/>).</summary>
    public static bool IsId(RoutePattern pattern, string parameterName) =>
        pattern.ParameterPolicies.TryGetValue(parameterName, out var policies)
        && policies.Any(policy => policy.Content == "id" || policy.ParameterPolicy is IdRouteConstraint);
}
