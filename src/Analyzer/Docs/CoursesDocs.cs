using System.Globalization;
using System.Text.Json.Nodes;
using Analyzer.Analytics;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>
/// The answers, parameters and examples of GET .../citizens/courses and GET .../stat/demand. The examples describe an
/// import like the contract's with channels and friends: 1 (instagram) has relative 2 and friend 3; 2 (instagram) has
/// relative 1; 3 (no channel, Керчь) has friend 1; on 01.12.2026 they are 39, 29 and 40 years old.
/// </summary>
public static class CoursesDocs
{
    private const string MaxInt32 = "2147483647";

    public static readonly ContractSchema BuyerCourses = new("BuyerCourses", document => ContractSchemas.Object(
        "A citizen who buys courses, and how many: one per distinct relative or friend (counted once if both; a citizen who lists itself counts itself).",
        new()
        {
            ["citizen_id"] = ContractSchemas.Integer("The buyer.", minimum: "0", maximum: MaxInt32, format: "int32"),
            ["courses"] = ContractSchemas.Integer("Courses it buys (with by=channel,month: for recipients born in this month).", minimum: "1", maximum: MaxInt32, format: "int32"),
        },
        required: ["citizen_id", "courses"]));

    public static readonly ContractSchema CoursesByChannel = new("CoursesByChannel", document =>
    {
        var buyers = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            Items = BuyerCourses.Reference(document),
            Description = "Buyers of the channel, by citizen_id.",
        };
        var months = new Dictionary<string, IOpenApiSchema>();
        for (var month = 1; month <= 12; month++)
        {
            months[month.ToString(CultureInfo.InvariantCulture)] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = BuyerCourses.Reference(document) };
        }
        return ContractSchemas.Data(
            "Channel → buyers (by=channel), or channel → month \"1\"..\"12\" → buyers (by=channel,month). One key per channel a " +
            "citizen of the import has; \"\" (the empty string, which no channel can be) holds the citizens without a channel.",
            new OpenApiSchema
            {
                AnyOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = buyers, Description = "by=channel" },
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Description = "by=channel,month: all twelve months under every channel, by the month of the recipient's birthday.",
                        AdditionalProperties = ContractSchemas.Object(null, months, required: [.. months.Keys]),
                    },
                ],
            });
    });

    public static readonly ContractSchema DemandRow = new("DemandRow", document => ContractSchemas.Object(
        "A non-empty cell: the keys named by by= (only those), how many citizens fall in it and how many courses they buy.",
        new()
        {
            ["town"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The town (with town in by)." },
            ["age_group"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = "^[0-9]+-[0-9]*$",
                Description = "The age group as age_groups= names it, such as 25-34 or 65- (with age_group in by).",
            },
            ["channel"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Null,
                Description = "The advertising channel, null for citizens without one (with channel in by).",
            },
            ["citizens"] = ContractSchemas.Integer("Residents in the cell.", minimum: "1", maximum: MaxInt32, format: "int32"),
            ["courses"] = ContractSchemas.Integer("Courses they buy in all.", minimum: "0", format: "int64"),
        },
        required: ["citizens", "courses"]));

    public static readonly ContractSchema DemandRows = new("DemandRows", document => ContractSchemas.Data(
        "One row per non-empty cell, ordered by the keys in the order by= names them.",
        new OpenApiSchema { Type = JsonSchemaType.Array, Items = DemandRow.Reference(document) }));

    public static IReadOnlyList<ContractSchema> All { get; } = [BuyerCourses, CoursesByChannel, DemandRow, DemandRows];

    public static readonly ContractParameter CoursesBy = new("by", ParameterLocation.Query,
        "channel (the default): buyers per channel; channel,month: each channel split into the twelve months of the recipients' birthdays.",
        () => new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = [JsonValue.Create("channel"), JsonValue.Create("channel,month")],
            Default = JsonValue.Create("channel"),
        });

    private static string DefaultAgeGroups => string.Join(',', Demand.DefaultAgeGroups.Select(g => g.Label));

    public static readonly ContractParameter[] DemandParameters =
    [
        new("by", ParameterLocation.Query,
            "The keys of the rows: any of town, age_group and channel, each at most once, separated by commas, in the order the rows are " +
            "sorted by; at least one. Default: town,age_group,channel.",
            () => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = "^(town|age_group|channel)(,(town|age_group|channel)){0,2}$",
                Default = JsonValue.Create("town,age_group,channel"),
            })
        {
            Example = () => JsonValue.Create("town,age_group,channel"),
        },
        new("age_groups", ParameterLocation.Query,
            "The age groups, with age_group in by (else 400): FROM-TO (both included) or FROM- (no upper bound, last only), ages in full " +
            $"years 0–{Demand.MaxAge}, separated by commas, ascending and not overlapping, at most {Demand.MaxAgeGroups}. Gaps are allowed: " +
            "a citizen in none of the groups is not counted. Default: " + DefaultAgeGroups + ".",
            () => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = "^[0-9]{1,3}-[0-9]{0,3}(,[0-9]{1,3}-[0-9]{0,3})*$",
                Default = JsonValue.Create(DefaultAgeGroups),
            }),
    ];

    public static JsonNode CoursesByChannelExample() => JsonNode.Parse("""
        {"data": {"": [{"citizen_id": 3, "courses": 1}], "instagram": [{"citizen_id": 1, "courses": 2}, {"citizen_id": 2, "courses": 1}]}}
        """)!;

    public static JsonNode DemandExample() => JsonNode.Parse("""
        {
          "data": [
            {"town": "Керчь", "age_group": "35-44", "channel": null, "citizens": 1, "courses": 1},
            {"town": "Москва", "age_group": "25-34", "channel": "instagram", "citizens": 1, "courses": 1},
            {"town": "Москва", "age_group": "35-44", "channel": "instagram", "citizens": 1, "courses": 2}
          ]
        }
        """)!;
}
