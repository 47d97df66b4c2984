using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>The shapes of GET /imports/{import_id}/towns/airports, as <see cref="Datasets.Geography.TownAirportsApi"/> writes them.</summary>
public static class GeographySchemas
{
    private static OpenApiSchema Number(string description) => new() { Type = JsonSchemaType.Number, Description = description };

    private static OpenApiSchema Distance() => new()
    {
        Type = JsonSchemaType.Number,
        Minimum = "0",
        Description = "Great-circle distance in kilometres, to the millimetre, on a sphere of radius 6,370,986 m (as ST_DistanceSphere).",
    };

    private static Dictionary<string, IOpenApiSchema> Place() => new()
    {
        ["id"] = ContractSchemas.Integer("The airport's row id in the dataset.", minimum: "1", format: "int64"),
        ["iata"] = DatasetSchemas.ColumnValue("The row's iata column (null when the dataset has none, or the value is NULL)."),
        ["name"] = DatasetSchemas.ColumnValue("The row's name column (null when the dataset has none, or the value is NULL)."),
    };

    public static readonly ContractSchema TownAirportsItem = new("TownAirports", document => ContractSchemas.Object(
        "A town of the import, where it is and the airports within the radius.",
        new()
        {
            ["town"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The town, as the citizens of the import write it." },
            ["citizens"] = ContractSchemas.Integer("How many citizens of the import live there.", minimum: "1"),
            ["channels"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "How many of them came through each advertising channel; the key \"\" counts those without a channel.",
                AdditionalProperties = ContractSchemas.Integer(null, minimum: "1"),
            },
            ["location"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "The mean of the coordinates of the dataset's rows whose city equals the town, ignoring case; null when none does.",
                Properties = new Dictionary<string, IOpenApiSchema> { ["lat"] = Number("Latitude in degrees."), ["lon"] = Number("Longitude in degrees.") },
                Required = new HashSet<string> { "lat", "lon" },
                AdditionalPropertiesAllowed = false,
            },
            ["airports"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "The dataset's rows within within_km of the location, nearest first (empty without a location).",
                Items = ContractSchemas.Object(null, new Dictionary<string, IOpenApiSchema>(Place()) { ["distance_km"] = Distance() },
                    required: ["id", "iata", "name", "distance_km"]),
            },
        },
        required: ["town", "citizens", "channels", "location", "airports"]));

    public static readonly ContractSchema AirportTownsItem = new("AirportTowns", document => ContractSchemas.Object(
        "An airport within the radius of some town of the import, and the citizens of those towns.",
        new Dictionary<string, IOpenApiSchema>(Place())
        {
            ["citizens"] = ContractSchemas.Integer("How many citizens live in towns within the radius.", minimum: "1"),
            ["citizen_ids"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = ContractSchemas.Integer(null, minimum: "0", format: "int32"),
                Description = "Their citizen_ids, ascending.",
            },
            ["towns"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "The towns within the radius, nearest first.",
                Items = ContractSchemas.Object(null, new()
                {
                    ["town"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["citizens"] = ContractSchemas.Integer(null, minimum: "1"),
                    ["distance_km"] = Distance(),
                }, required: ["town", "citizens", "distance_km"]),
            },
        },
        required: ["id", "iata", "name", "citizens", "citizen_ids", "towns"]));

    public static readonly ContractSchema TownAirports = new("TownAirportsAnswer", document => ContractSchemas.Data(
        "by=town (the default): every town of the import in code-point order; by=airport: the airports near the towns, most citizens first.",
        new OpenApiSchema
        {
            AnyOf =
            [
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = TownAirportsItem.Reference(document) },
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = AirportTownsItem.Reference(document) },
            ],
        }));

    public static IReadOnlyList<ContractSchema> All { get; } = [TownAirportsItem, AirportTownsItem, TownAirports];
}
