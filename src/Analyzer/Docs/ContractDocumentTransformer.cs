using System.Globalization;
using System.Text.Json.Nodes;
using Analyzer.Auth;
using Analyzer.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>
/// Completes the generated document from the routing table: every route endpoint gets an operation (also those
/// the API explorer skips, such as health checks), ids in paths are integers, the contract's JSON shapes and
/// examples replace what the framework cannot see, and errors point at shared problem+json responses. Operations
/// that require a scope name it in a <c>bearer</c> security requirement and document 401 and 403.
/// </summary>
internal sealed class ContractDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string ProblemJson = "application/problem+json";

    /// <summary>The security scheme of bearer tokens, <c>#/components/securitySchemes/bearer</c>.</summary>
    public const string BearerScheme = "bearer";

    /// <summary>The error answers of the service, kept once in <c>#/components/responses</c>.</summary>
    private static readonly (int Status, string Name, string Description, ContractSchema Schema, Func<JsonNode> Example)[] ErrorResponses =
    [
        (StatusCodes.Status400BadRequest, "BadRequest",
            "The input breaks a rule of the contract; errors names each broken rule by JSON path (or query parameter, or column). Nothing was changed.",
            ContractSchemas.HttpValidationProblemDetails, ContractExamples.InvalidImport),
        (StatusCodes.Status401Unauthorized, "Unauthorized",
            "Authentication is on and the request has no bearer token, or its token was refused (expired, not yet valid, another " +
            "signature, issuer or audience, revoked); WWW-Authenticate says which. Never answered while authentication is off.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(401, "Unauthorized",
                "This endpoint needs a bearer token: send Authorization: Bearer <token>.")),
        (StatusCodes.Status403Forbidden, "Forbidden",
            "The bearer token is valid but does not grant the scope this operation requires; WWW-Authenticate and the detail name it.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(403, "Forbidden",
                "The token lacks the scope analyzer:write that this endpoint requires.")),
        (StatusCodes.Status404NotFound, "NotFound",
            "The import, citizen, dataset, row or confirmation link does not exist (or has expired), or nothing is served at this path. " +
            "Ids that are not non-negative integers are 404 too.",
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
            "The body is not sent in a media type the operation accepts (application/json; a CSV upload: multipart/form-data or text/csv). Nothing was changed.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(415, "Unsupported Media Type", "send the body as application/json, not text/plain")),
        (StatusCodes.Status500InternalServerError, "InternalServerError",
            "An unexpected error; the answer names the request id under which the details are logged. Nothing was changed.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(500, "An error occurred while processing your request.",
                "An unexpected error occurred; it has been logged with the request id.")),
        (StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable",
            "The service cannot answer now: the database cannot be reached or is busy (on SQLite, another write such as a long upload " +
            "holds the lock for longer than --db-busy-timeout), or, for uploads and imports, as many as the service runs at once are running. " +
            "Any operation that uses the database can answer this. Send the request again after Retry-After seconds.",
            ContractSchemas.ProblemDetails, () => ContractExamples.Problem(503, Unavailable.Title, Unavailable.Detail)),
    ];

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Imports"] = "Data sets of citizens: store, read, correct (contract sections 1–3).",
        ["Analytics"] = "Presents by month and age percentiles by town (contract sections 4–5).",
        ["Datasets"] = "Any CSV file as a typed table with its saved DDL, and its rows: read, filter, create, update, " +
            "soft delete, and changes confirmed by following a link (contract sections 7–8).",
        ["Health"] = "Probes for load balancers.",
        ["Auth"] = "Bearer tokens: revoke one by its id.",
    };

    /// <summary>The response headers of errors: <c>Allow</c> on 405, <c>WWW-Authenticate</c> on 401 and 403.</summary>
    private static readonly Dictionary<int, (string Name, string Description)> ErrorHeaders = new()
    {
        [StatusCodes.Status401Unauthorized] = ("WWW-Authenticate",
            "Bearer, with error=\"invalid_token\" and an error_description when a token was sent but refused."),
        [StatusCodes.Status403Forbidden] = ("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"<the scope required>\"."),
        [StatusCodes.Status405MethodNotAllowed] = ("Allow", "The methods this path accepts (GET, PATCH, OPTIONS)."),
        [StatusCodes.Status503ServiceUnavailable] = ("Retry-After", "Seconds to wait before sending the request again."),
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
                "a request that fails changes nothing. A method a path does not accept is 405 with an Allow header. " +
                "Datasets are CSV files loaded as typed tables, whose rows can be read and changed. " +
                "Authentication: when the service is started with --auth-secret-file or --auth-public-key-file, the operations that " +
                "name a scope need Authorization: Bearer <JWT> granting it (analyzer:read to read, analyzer:write to change, " +
                "analyzer:admin to drop datasets and revoke tokens), else 401 or 403; without a key every operation is open. " +
                "The reference for people, with the rules of every field, is docs/api.md in the service's repository.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var schema in ContractSchemas.All.Concat(CoursesDocs.All).Concat(DatasetSchemas.All).Concat(GeographySchemas.All).Concat(JobSchemas.All).Concat(ObservabilityDocs.All))
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
            if (ErrorHeaders.TryGetValue(status, out var header))
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
                {
                    [header.Name] = new OpenApiHeader
                    {
                        Description = header.Description,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                };
            }
            document.Components.Responses[name] = response;
        }
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description =
                "A JWT in Authorization: Bearer <token>, as `analyzer token issue` makes it (HS256) or an identity provider issues it " +
                "(RS256/ES256, with the configured iss and aud). Its scope (or scp) claim lists the scopes it grants: analyzer:read, " +
                "analyzer:write, analyzer:admin. Checked only when authentication is on; while it is off the header is ignored.",
        };

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
            var methods = OpenApiRoutes.Methods(endpoint);
            for (var i = 0; i < methods.Count; i++)
            {
                var httpMethod = new HttpMethod(methods[i]);
                if (!pathItem.Operations.TryGetValue(httpMethod, out var operation))
                {
                    operation = NewOperation(endpoint, document);
                    pathItem.Operations[httpMethod] = operation;
                }
                if (i > 0 && operation.OperationId is { } operationId)
                {
                    // One endpoint, several methods (GET and HEAD, GET and POST): operation ids must stay unique.
                    operation.OperationId = operationId + methods[i][..1] + methods[i][1..].ToLowerInvariant();
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

    /// <summary>
    /// What the framework cannot know: integer ids, described parameters, the contract's bodies, the scope an operation
    /// requires, the shared error responses.
    /// </summary>
    private static void Complete(OpenApiOperation operation, RouteEndpoint endpoint, OpenApiDocument document)
    {
        DescribeParameters(operation, endpoint);
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && parameter.Name is { } name && OpenApiRoutes.IsId(endpoint.RoutePattern, name))
            {
                parameter.Schema = ContractSchemas.PathId(name);
                parameter.Example ??= ContractExamples.PathId(name);
            }
        }

        var requests = endpoint.Metadata.GetOrderedMetadata<ContractRequestMetadata>();
        if (requests.Count > 0)
        {
            var content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
            foreach (var request in requests)
            {
                var mediaType = new OpenApiMediaType { Schema = request.Schema.Reference(document) };
                if (request.Examples.Count > 0)
                {
                    mediaType.Examples = request.Examples.ToDictionary(
                        example => example.Name,
                        example => (IOpenApiExample)new OpenApiExample { Summary = example.Summary, Value = example.Value() },
                        StringComparer.Ordinal);
                }
                content[request.ContentType] = mediaType;
            }
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = string.Join(" ", requests.Select(r => r.Description).Distinct(StringComparer.Ordinal)),
                Content = content,
            };
        }

        operation.Responses ??= [];
        foreach (var group in endpoint.Metadata.GetOrderedMetadata<ContractResponseMetadata>().GroupBy(r => r.StatusCode))
        {
            var response = new OpenApiResponse
            {
                Description = group.First().Description ?? ReasonPhrases.GetReasonPhrase(group.Key),
                Content = group.ToDictionary(
                    r => r.ContentType,
                    r => new OpenApiMediaType { Schema = r.Schema.Reference(document), Example = r.Example?.Invoke() },
                    StringComparer.Ordinal),
            };
            if (group.Select(r => r.Location).OfType<string>().FirstOrDefault() is { } location)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
                {
                    ["Location"] = new OpenApiHeader { Description = location, Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                };
            }
            operation.Responses[group.Key.ToString(CultureInfo.InvariantCulture)] = response;
        }

        var scopes = OpenApiRoutes.RequiredScopes(endpoint);
        if (scopes is not null)
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [.. scopes] },
            ];
            operation.Responses[StatusCodes.Status401Unauthorized.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse();
            operation.Responses[StatusCodes.Status403Forbidden.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse();
        }
        else
        {
            operation.Security = null;
        }

        var ownResponses = endpoint.Metadata.GetOrderedMetadata<ContractResponseMetadata>()
            .Select(r => r.StatusCode.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        foreach (var (status, name, _, _, _) in ErrorResponses)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key) && !ownResponses.Contains(key)) // an error the endpoint describes itself keeps its own
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

    /// <summary>Applies the endpoint's <see cref="ContractParameter"/>s: replaces a generated parameter of the same name and location, or adds one.</summary>
    private static void DescribeParameters(OpenApiOperation operation, RouteEndpoint endpoint)
    {
        var described = endpoint.Metadata.GetOrderedMetadata<ContractParameterMetadata>().SelectMany(m => m.Parameters).ToList();
        if (described.Count == 0)
        {
            return;
        }
        operation.Parameters ??= [];
        foreach (var contract in described)
        {
            var parameter = new OpenApiParameter
            {
                Name = contract.Name,
                In = contract.In,
                Description = contract.Description,
                Required = contract.Required,
                Schema = contract.Schema(),
                Example = contract.Example?.Invoke(),
            };
            if (contract.FreeFormObject)
            {
                parameter.Style = ParameterStyle.Form;
                parameter.Explode = true;
            }
            var index = operation.Parameters.ToList().FindIndex(p => p.Name == contract.Name && p.In == contract.In);
            if (index >= 0)
            {
                operation.Parameters[index] = parameter;
            }
            else if (contract.In != ParameterLocation.Path || endpoint.RoutePattern.GetParameter(contract.Name) is not null)
            {
                // A group's path parameter is described on every endpoint of the group, and added only where the route has it.
                operation.Parameters.Add(parameter);
            }
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

    /// <summary>
    /// The scopes an endpoint requires (the names of its authorization policies, all of which must be met), an empty list
    /// when it needs a token but no particular scope, or null when it is anonymous.
    /// </summary>
    public static IReadOnlyList<string>? RequiredScopes(RouteEndpoint endpoint)
    {
        var metadata = endpoint.Metadata;
        if (metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return null;
        }
        var authorize = metadata.GetOrderedMetadata<IAuthorizeData>();
        if (authorize.Count == 0 && metadata.GetMetadata<AuthorizationPolicy>() is null && metadata.GetMetadata<IAuthorizationRequirementData>() is null)
        {
            return null;
        }
        return [.. authorize.Select(a => a.Policy).OfType<string>().Where(Scopes.All.Contains).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Whether the route parameter has the <c>id</c> constraint (<see cref="IdRouteConstraint"/>).</summary>
    public static bool IsId(RoutePattern pattern, string parameterName) =>
        pattern.ParameterPolicies.TryGetValue(parameterName, out var policies)
        && policies.Any(policy => policy.Content == "id" || policy.ParameterPolicy is IdRouteConstraint);
}
