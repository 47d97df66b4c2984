using System.Text.Json.Nodes;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>
/// A body an endpoint reads itself (it takes <see cref="HttpRequest"/>, so the framework cannot see it), in one
/// media type; an endpoint that accepts several media types has one of these for each.
/// </summary>
public sealed record ContractRequestMetadata(ContractSchema Schema, string Description, IReadOnlyList<ContractExample> Examples)
{
    public string ContentType { get; init; } = JsonData.ContentType;
}

/// <summary>A named example value; made anew for each document.</summary>
public sealed record ContractExample(string Name, string Summary, Func<JsonNode> Value);

/// <summary>A response of the contract an endpoint writes (also with a custom <see cref="IResult"/>); JSON unless told otherwise.</summary>
public sealed class ContractResponseMetadata(int statusCode, ContractSchema schema, string description, Func<JsonNode>? example, string contentType = JsonData.ContentType)
    : IProducesResponseTypeMetadata
{
    public ContractSchema Schema { get; } = schema;

    public Func<JsonNode>? Example { get; } = example;

    public string ContentType { get; } = contentType;

    /// <summary>What the answer's <c>Location</c> header points at, when it has one.</summary>
    public string? Location { get; init; }

    public Type? Type => null;

    public int StatusCode { get; } = statusCode;

    public string? Description { get; } = description;

    public IEnumerable<string> ContentTypes => [ContentType];
}

/// <summary>
/// A parameter as the document shows it: one the endpoint reads from the query string itself, or one the framework
/// sees but cannot describe (a path parameter's meaning, an enum). It replaces a generated parameter of the same
/// name and location, or is added.
/// </summary>
public sealed record ContractParameter(string Name, ParameterLocation In, string Description, Func<OpenApiSchema> Schema)
{
    public bool Required { get; init; } = In == ParameterLocation.Path;

    /// <summary>Shown in the document and pre-filled by Swagger UI's "Try it out".</summary>
    public Func<JsonNode>? Example { get; init; }

    /// <summary>
    /// Set for a free-form object whose members are sent as <c>key=value</c> pairs (<c>style: form, explode: true</c>),
    /// such as the column filters of a rows query.
    /// </summary>
    public bool FreeFormObject { get; init; }
}

/// <summary>The <see cref="ContractParameter"/>s of an endpoint.</summary>
public sealed record ContractParameterMetadata(IReadOnlyList<ContractParameter> Parameters);

/// <summary>Endpoint conventions that tie an endpoint to the contract's JSON shapes in the OpenAPI document.</summary>
public static class EndpointDocs
{
    public const string ImportIdDescription = "The import's id, as POST /imports returned it.";

    public const string CitizenIdDescription = "The citizen's citizen_id within the import.";

    /// <summary>The endpoint reads a JSON body of <paramref name="schema"/>.</summary>
    public static TBuilder AcceptsContract<TBuilder>(this TBuilder builder, ContractSchema schema, string description, params ContractExample[] examples)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractRequestMetadata(schema, description, examples));

    /// <summary>The endpoint reads a body of <paramref name="contentType"/> (also) in the shape of <paramref name="schema"/>.</summary>
    public static TBuilder AcceptsContractAs<TBuilder>(this TBuilder builder, string contentType, ContractSchema schema, string description, params ContractExample[] examples)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractRequestMetadata(schema, description, examples) { ContentType = contentType });

    /// <summary>
    /// The endpoint answers <paramref name="statusCode"/> with a JSON body of <paramref name="schema"/> (and a
    /// <c>Location</c> header described by <paramref name="location"/>).
    /// </summary>
    public static TBuilder ProducesContract<TBuilder>(this TBuilder builder, int statusCode, ContractSchema schema, string description,
        Func<JsonNode>? example = null, string? location = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractResponseMetadata(statusCode, schema, description, example) { Location = location });

    /// <summary>The endpoint answers <paramref name="statusCode"/> with a body of <paramref name="contentType"/> in the shape of <paramref name="schema"/>.</summary>
    public static TBuilder ProducesContractAs<TBuilder>(this TBuilder builder, int statusCode, string contentType, ContractSchema schema, string description, Func<JsonNode>? example = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractResponseMetadata(statusCode, schema, description, example, contentType));

    /// <summary>Describes parameters of the endpoint (or of every endpoint of a group).</summary>
    public static TBuilder DocumentsParameters<TBuilder>(this TBuilder builder, params ContractParameter[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractParameterMetadata(parameters));
}
