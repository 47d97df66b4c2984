using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>The query parameters of GET /imports/{import_id}/towns/airports.</summary>
public static class GeographyParameters
{
    public static readonly ContractParameter[] TownAirports =
    [
        new("dataset", ParameterLocation.Query,
            "A geographic dataset with a text column city (airports.dat uploaded as airports): where the towns are found and whose rows are the airports. Required.",
            () => new OpenApiSchema { Type = JsonSchemaType.String })
        {
            Required = true,
            Example = () => JsonValue.Create(DatasetExamples.Name),
        },
        new("within_km", ParameterLocation.Query, "The radius around each town in kilometres: a number, 0 or more. Required.",
            () => new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0" })
        {
            Required = true,
            Example = () => JsonValue.Create(20),
        },
        new("by", ParameterLocation.Query, "town (the default): the airports per town; airport: the citizens per airport.",
            () => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [JsonValue.Create("town"), JsonValue.Create("airport")],
                Default = JsonValue.Create("town"),
            }),
    ];
}
