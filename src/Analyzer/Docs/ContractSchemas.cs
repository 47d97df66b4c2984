using System.Text.Json.Nodes;
using Analyzer.Imports;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>A JSON shape of the contract, kept in the document as <c>#/components/schemas/{Id}</c>.</summary>
public sealed class ContractSchema(string id, Func<OpenApiDocument, OpenApiSchema> build)
{
    public string Id { get; } = id;

    /// <summary>Builds the schema; references to other components point into <paramref name="document"/>.</summary>
    public OpenApiSchema Build(OpenApiDocument document) => build(document);

    public OpenApiSchemaReference Reference(OpenApiDocument document) => new(Id, document);

    public override string ToString() => Id;
}

/// <summary>
/// The exact JSON shapes of the contract (sections 1–6 of the spec). The service reads and writes these
/// with hand-written code (<see cref="CitizenJson"/>, <see cref="CitizenResults"/>), so they are written out
/// here rather than derived from C# types; the API tests validate real responses against them.
/// </summary>
public static class ContractSchemas
{
    private const string MaxInt32 = "2147483647";

    private static readonly string[] CitizenFieldNames =
        ["citizen_id", "town", "street", "building", "apartment", "name", "birth_date", "gender", "relatives"];

    /// <summary>At least one letter or decimal digit anywhere (<see cref="System.Text.Rune.IsLetterOrDigit(System.Text.Rune)"/>).</summary>
    public const string LetterOrDigitPattern = @"[\p{L}\p{Nd}]";

    /// <summary>DD.MM.YYYY with a two-digit day 01–31 and month 01–12; that the date exists is checked by the service.</summary>
    public const string BirthDatePattern = @"^(0[1-9]|[12][0-9]|3[01])\.(0[1-9]|1[0-2])\.[0-9]{4}$";

    public static readonly ContractSchema Citizen = new("Citizen", document => Object(
        "A resident as the supplier describes it. The contract's nine fields are required and none is null; friends and channel are "
        + "optional (beyond the contract; channel may be null); no other field is allowed.",
        CitizenProperties(withId: true),
        required: CitizenFieldNames));

    public static readonly ContractSchema CitizenPatch = new("CitizenPatch", document =>
    {
        var schema = Object(
            "The fields to change: at least one, each with the same rules as in Citizen; citizen_id, unknown fields and null (but for channel) are refused. " +
            "relatives and friends replace their list, and the change is mirrored on the citizens added and removed.",
            CitizenProperties(withId: false),
            required: []);
        schema.MinProperties = 1;
        return schema;
    });

    public static readonly ContractSchema ImportRequest = new("ImportRequest", document => Object(
        "A new data set. An empty list is a valid import; citizen_ids are unique within it and relations are mutual.",
        new()
        {
            ["citizens"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Citizen.Reference(document) },
        },
        required: ["citizens"]));

    public static readonly ContractSchema ImportCreated = new("ImportCreated", document => Data(
        "The id of the stored import: every import gets a new one.",
        Object(null, new() { ["import_id"] = Integer("The new import's id.", minimum: "1", format: "int64") }, required: ["import_id"])));

    public static readonly ContractSchema CitizenList = new("CitizenList", document => Data(
        "Every citizen of the import with its current relatives, in no particular order.",
        new OpenApiSchema { Type = JsonSchemaType.Array, Items = Citizen.Reference(document) }));

    public static readonly ContractSchema CitizenData = new("CitizenData", document => Data(
        "The citizen as now stored.",
        Citizen.Reference(document)));

    public static readonly ContractSchema BuyerPresents = new("BuyerPresents", document => Object(
        "A citizen who buys presents for relatives born in the month, and how many (one per relative; a citizen who is its own relative counts itself).",
        new()
        {
            ["citizen_id"] = Integer("The buyer.", minimum: "0", maximum: MaxInt32, format: "int32"),
            ["presents"] = Integer("Relatives born in this month.", minimum: "1", maximum: MaxInt32, format: "int32"),
        },
        required: ["citizen_id", "presents"]));

    public static readonly ContractSchema PresentsByMonth = new("PresentsByMonth", document =>
    {
        var months = new Dictionary<string, IOpenApiSchema>();
        for (var month = 1; month <= 12; month++)
        {
            months[month.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = BuyerPresents.Reference(document),
            };
        }
        return Data(
            "Presents by month: all twelve keys \"1\" (January) to \"12\", always; a month without buyers is [].",
            Object(null, months, required: [.. months.Keys]));
    });

    public static readonly ContractSchema TownAgePercentiles = new("TownAgePercentiles", document => Object(
        "Percentiles of the ages (full years at today's date in UTC) of a town's citizens, as numpy.percentile with linear interpolation, rounded to 2 decimals.",
        new()
        {
            ["town"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The town." },
            ["p50"] = Percentile("50th percentile of the ages."),
            ["p75"] = Percentile("75th percentile of the ages."),
            ["p99"] = Percentile("99th percentile of the ages."),
        },
        required: ["town", "p50", "p75", "p99"]));

    public static readonly ContractSchema AgePercentiles = new("AgePercentiles", document => Data(
        "One entry per town of the import.",
        new OpenApiSchema { Type = JsonSchemaType.Array, Items = TownAgePercentiles.Reference(document) }));

    public static readonly ContractSchema Health = new("Health", document => Object(
        "Whether the service can serve.",
        new()
        {
            ["status"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [JsonValue.Create("ok"), JsonValue.Create("unavailable")],
            },
        },
        required: ["status"]));

    public static readonly ContractSchema ProblemDetails = new("ProblemDetails", document => Problem(
        "An error, as RFC 9457 problem details.", validation: false));

    public static readonly ContractSchema HttpValidationProblemDetails = new("HttpValidationProblemDetails", document => Problem(
        "Invalid input, as RFC 9457 problem details; errors maps each JSON path (citizens[3].birth_date) to what is wrong there.", validation: true));

    /// <summary>
    /// An id in a path (a <c>{name:id}</c> route parameter): a non-negative integer; anything else there is a 404.
    /// citizen_id is a 32-bit citizen_id of the contract, other ids (import_id) are 64-bit.
    /// </summary>
    public static OpenApiSchema PathId(string name) => name == "citizen_id"
        ? Integer(null, minimum: "0", maximum: MaxInt32, format: "int32")
        : Integer(null, minimum: "0", maximum: long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), format: "int64");

    public static IReadOnlyList<ContractSchema> All { get; } =
    [
        Citizen, CitizenPatch, ImportRequest, ImportCreated, CitizenList, CitizenData, BuyerPresents, PresentsByMonth,
        TownAgePercentiles, AgePercentiles, Health, ProblemDetails, HttpValidationProblemDetails,
    ];

    private static Dictionary<string, IOpenApiSchema> CitizenProperties(bool withId)
    {
        var properties = new Dictionary<string, IOpenApiSchema>();
        if (withId)
        {
            properties["citizen_id"] = Integer("Unique within the import; the same id in another import is another person.", minimum: "0", maximum: MaxInt32, format: "int32");
        }
        properties["town"] = Text("Town: 1–256 characters, at least one letter or digit.", LetterOrDigitPattern);
        properties["street"] = Text("Street: 1–256 characters, at least one letter or digit.", LetterOrDigitPattern);
        properties["building"] = Text("Building: 1–256 characters, at least one letter or digit.", LetterOrDigitPattern);
        properties["apartment"] = Integer("Apartment number.", minimum: "0", maximum: MaxInt32, format: "int32");
        properties["name"] = Text("Full name: any non-empty string of up to 256 characters.", pattern: null);
        properties["birth_date"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Pattern = BirthDatePattern,
            Description = "DD.MM.YYYY, a real calendar date (31.02.2019 is not), not later than today's date in UTC.",
            Examples = [JsonValue.Create("26.12.1986")],
        };
        properties["gender"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = [JsonValue.Create("male"), JsonValue.Create("female")],
        };
        properties["relatives"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            UniqueItems = true,
            Items = Integer(null, minimum: "0", maximum: MaxInt32, format: "int32"),
            Description = "citizen_ids of relatives in this same import, each once; relations are mutual (if 1 lists 2, 2 lists 1); a citizen may list itself.",
        };
        properties["friends"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            UniqueItems = true,
            Items = Integer(null, minimum: "0", maximum: MaxInt32, format: "int32"),
            Description = "Beyond the contract, optional: citizen_ids of friends in this same import, validated like relatives (each once, mutual). "
                + "An import that names friends or channel on any citizen shows both keys on every citizen (friends [] and channel null where not given); "
                + "one that never does keeps the contract's nine keys. A PATCH that names either gives the import that extended shape.",
        };
        properties["channel"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String | JsonSchemaType.Null,
            MinLength = 1,
            MaxLength = CitizenJson.MaxChannelLength,
            Pattern = LetterOrDigitPattern,
            Description = "Beyond the contract, optional: the advertising channel that brought the citizen, 1–64 characters with at least one letter or digit, or null.",
            Examples = [JsonValue.Create("instagram")],
        };
        return properties;
    }

    internal static OpenApiSchema Object(string? description, Dictionary<string, IOpenApiSchema> properties, string[] required) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = properties,
        Required = new HashSet<string>(required, StringComparer.Ordinal),
        AdditionalPropertiesAllowed = false,
    };

    /// <summary>The contract's envelope of every success: <c>{"data": ...}</c>.</summary>
    internal static OpenApiSchema Data(string description, IOpenApiSchema data) =>
        Object(description, new() { ["data"] = data }, required: ["data"]);

    internal static OpenApiSchema Integer(string? description, string minimum, string? maximum = null, string? format = null) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = format,
        Minimum = minimum,
        Maximum = maximum,
        Description = description,
    };

    private static OpenApiSchema Text(string description, string? pattern) => new()
    {
        Type = JsonSchemaType.String,
        MinLength = 1,
        MaxLength = CitizenJson.MaxTextLength,
        Pattern = pattern,
        Description = description,
    };

    private static OpenApiSchema Percentile(string description) => new()
    {
        Type = JsonSchemaType.Number,
        Minimum = "0",
        Description = description + " Written with at least one decimal place (35.0).",
    };

    private static OpenApiSchema Problem(string description, bool validation)
    {
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI reference that identifies the problem type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the problem type." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "400", Maximum = "599", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong with this request." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI reference of this occurrence." },
            ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's id, as in the logs." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The W3C trace id of the request." },
        };
        string[] required = ["status", "title", "detail"];
        if (validation)
        {
            properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "JSON path of each invalid part of the input → messages a person can act on.",
                AdditionalProperties = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            };
            required = [.. required, "errors"];
        }
        var schema = Object(description, properties, required);
        schema.AdditionalPropertiesAllowed = true; // RFC 9457 allows extension members
        return schema;
    }
}
