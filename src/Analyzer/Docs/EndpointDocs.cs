using System.Text.Json.Nodes;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.Metadata;

namespace Analyzer.Docs;

/// <summary>The JSON body an endpoint reads itself (it takes <see cref="HttpRequest"/>, so the framework cannot see it).</summary>
public sealed record ContractRequestMetadata(ContractSchema Schema, string Description, IReadOnlyList<ContractExample> Examples);

/// <summary>A named example value; made anew for each document.</summary>
public sealed record ContractExample(string Name, string Summary, Func<JsonNode> Value);

/// <summary>A JSON response of the contract an endpoint writes (also with a custom <see cref="IResult"/>).</summary>
public sealed class ContractResponseMetadata(int statusCode, ContractSchema schema, string description, Func<JsonNode>? example)
    : IProducesResponseTypeMetadata
{
    private static readonly string[] JsonContentTypes = [JsonData.ContentType];

    public ContractSchema Schema { get; } = schema;

    public Func<JsonNode>? Example { get; } = example;

    public Type? Type => null;

    public int StatusCode { get; } = statusCode;

    public string? Description { get; } = description;

    public IEnumerable<string> ContentTypes => JsonContentTypes;
}

/// <summary>Endpoint conventions that tie an endpoint to the contract's JSON shapes in the OpenAPI document.</summary>
public static class EndpointDocs
{
    public const string ImportIdDescription = "The import's id, as POST /imports returned it.";

    public const string CitizenIdDescription = "The citizen's citizen_id within the import.";

    /// <summary>The endpoint reads a JSON body of <paramref name="schema"/>.</summary>
    public static TBuilder AcceptsContract<TBuilder>(this TBuilder builder, ContractSchema schema, string description, params ContractExample[] examples)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractRequestMetadata(schema, description, examples));

    /// <summary>The endpoint answers <paramref name="statusCode"/> with a JSON body of <paramref name="schema"/>.</summary>
    public static TBuilder ProducesContract<TBuilder>(this TBuilder builder, int statusCode, ContractSchema schema, string description, Func<JsonNode>? example = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContractResponseMetadata(statusCode, schema, description, example));
}
