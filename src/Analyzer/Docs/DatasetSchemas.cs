using System.Text.Json.Nodes;
using Analyzer.Datasets;
using Analyzer.Datasets.Csv;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>
/// The shapes of datasets (section 7 of the spec): the catalog entry of a dataset, its rows, confirmation links, and
/// the bodies uploads and row changes send. Written by hand as the service writes them (<see cref="DatasetsApi"/>,
/// <see cref="RowValues"/>); the API tests validate real answers against them.
/// </summary>
public static class DatasetSchemas
{
    public const string MultipartFormData = "multipart/form-data";

    public const string TextCsv = "text/csv";

    public const string TextPlain = "text/plain";

    /// <summary>A normalised dataset or column name: lower-case ASCII letters, digits and underscores, starting with a letter.</summary>
    public const string IdentifierPattern = "^[a-z][a-z0-9_]*$";

    /// <summary>A value of a column as JSON: a number, a string, true/false or null (never an object or an array).</summary>
    internal static OpenApiSchema ColumnValue(string? description = null) => new()
    {
        Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean | JsonSchemaType.Null,
        Description = description,
    };

    private static OpenApiSchema Identifier(string description) => new()
    {
        Type = JsonSchemaType.String,
        Pattern = IdentifierPattern,
        MaxLength = ColumnNames.MaxLength,
        Description = description,
    };

    private static OpenApiSchema Timestamp(string description, bool nullable = false) => new()
    {
        Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String,
        Format = "date-time",
        Description = description,
    };

    public static readonly ContractSchema DatasetColumn = new("DatasetColumn", document => ContractSchemas.Object(
        "A column of a dataset's table, as inferred from every value of the CSV column.",
        new()
        {
            ["name"] = Identifier("The header cell (or the name given in columns=), normalised to snake_case: deduplicated, at most 63 bytes."),
            ["type"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [.. Enum.GetValues<ColumnType>().Select(type => (JsonNode)JsonValue.Create(type.ToApiName()))],
                Description = "The narrowest type every value fits: integer (64-bit), float, boolean (true/false), date (YYYY-MM-DD or " +
                    "DD.MM.YYYY), timestamp (ISO 8601), else text. In JSON: integer and float are numbers, boolean is true/false, " +
                    "date is YYYY-MM-DD, timestamp is ISO 8601 in UTC, text is a string.",
            },
            ["nullable"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Boolean,
                Description = "Whether the column had an empty cell (or the null= marker): NULL is allowed; false is NOT NULL.",
            },
        },
        required: ["name", "type", "nullable"]));

    public static readonly ContractSchema Dataset = new("Dataset", document => ContractSchemas.Object(
        "A dataset: a table typed by its CSV, with the DDL that created it. Besides its columns the table has a surrogate key id and a deleted_at mark.",
        new()
        {
            ["name"] = Identifier("The dataset's name (also its table's): from name=, else from the file name, normalised."),
            ["columns"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = DatasetColumn.Reference(document),
                Description = "The CSV's columns in order (without id and deleted_at).",
            },
            ["row_count"] = ContractSchemas.Integer("Rows in the table, deleted ones included.", minimum: "0", format: "int64"),
            ["geo"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "The coordinate columns of a geographic dataset (degrees, WGS 84): chosen at upload with lat= and lon=, else float " +
                    "columns named latitude/lat and longitude/lon/lng. null: the dataset is not geographic (no near= or nearby searches).",
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["lat"] = Identifier("The latitude column: values from -90 to 90 (or NULL)."),
                    ["lon"] = Identifier("The longitude column: values from -180 to 180 (or NULL)."),
                },
                Required = new HashSet<string> { "lat", "lon" },
                AdditionalPropertiesAllowed = false,
            },
            ["ddl"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The CREATE TABLE statement that created the table, in the dialect of the database (PostgreSQL or SQLite); for a " +
                    "geographic dataset followed by its index statements (a (lat, lon) index; with PostGIS also a generated geography(Point, 4326) " +
                    "column geo_point and its GiST index).",
            },
            ["source_file"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Null,
                Description = "The uploaded file's name (multipart uploads), or null for a text/csv body.",
            },
            ["created_at"] = Timestamp("When the dataset was created, in UTC."),
            ["updated_at"] = Timestamp("When the dataset was last loaded (created, replaced or appended to), in UTC."),
        },
        required: ["name", "columns", "row_count", "geo", "ddl", "source_file", "created_at", "updated_at"]));

    public static readonly ContractSchema DatasetData = new("DatasetData", document => ContractSchemas.Data(
        "The dataset as now stored.", Dataset.Reference(document)));

    public static readonly ContractSchema DatasetList = new("DatasetList", document => ContractSchemas.Data(
        "Every dataset, by name.",
        new OpenApiSchema { Type = JsonSchemaType.Array, Items = Dataset.Reference(document) }));

    public static readonly ContractSchema DatasetDdl = new("DatasetDdl", document => new OpenApiSchema
    {
        Type = JsonSchemaType.String,
        Description = "The CREATE TABLE statement of the dataset's table, followed by a line break.",
    });

    public static readonly ContractSchema Row = new("Row", document =>
    {
        var schema = ContractSchemas.Object(
            "A row: its surrogate id, a member per column of the dataset named as in its columns, typed as the column " +
            "(integer and float: numbers; boolean: true/false; date: YYYY-MM-DD; timestamp: ISO 8601 in UTC; text: a string; " +
            "NULL: null), and deleted_at. The columns differ per dataset, so they are not listed here.",
            new()
            {
                ["id"] = ContractSchemas.Integer("The row's surrogate key, given by the service.", minimum: "1", format: "int64"),
                ["deleted_at"] = Timestamp("When the row was flagged deleted, in UTC; null while it is not.", nullable: true),
                ["distance_km"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Number,
                    Minimum = "0",
                    Description = "Only in searches by distance (near=, nearby): the great-circle distance from the centre in kilometres, to the " +
                        "millimetre, on a sphere of radius 6,370,986 m (as PostGIS's ST_DistanceSphere).",
                },
            },
            required: ["id", "deleted_at"]);
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = ColumnValue("A column's value.");
        return schema;
    });

    public static readonly ContractSchema RowData = new("RowData", document => ContractSchemas.Data(
        "The row as now stored.", Row.Reference(document)));

    public static readonly ContractSchema RowPage = new("RowPage", document =>
    {
        var schema = ContractSchemas.Data(
            "A page of rows, in the order asked for (by id unless order_by says otherwise).",
            new OpenApiSchema { Type = JsonSchemaType.Array, Items = Row.Reference(document) });
        schema.Properties!["next"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String | JsonSchemaType.Null,
            Description = "The path and query of the next page (after=<last id> when ordered by id, else offset=), or null on the last page.",
        };
        schema.Required!.Add("next");
        return schema;
    });

    public static readonly ContractSchema Confirmation = new("Confirmation", document => ContractSchemas.Data(
        "A change is pending: nothing has changed yet. Following confirm_url (GET or POST) applies it, once.",
        ContractSchemas.Object(null, new()
        {
            ["confirm_url"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = "uri",
                Description = "The link that applies the change: /confirmations/<token> on this service. The token is random (256 bits) and stored only as a hash.",
            },
            ["expires_at"] = Timestamp("Until when the link can be followed, in UTC (24 hours after the request unless configured otherwise)."),
            ["action"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [JsonValue.Create("create"), JsonValue.Create("update")],
                Description = "What following the link does: create a row, or update the row.",
            },
        },
        required: ["confirm_url", "expires_at", "action"])));

    /// <summary>The body of PUT rows.</summary>
    public static readonly ContractSchema NewRow = new("NewRow", document =>
    {
        var schema = ContractSchemas.Object(
            "The new row's values by column name, each of the column's type (as in Row); every NOT NULL column is required, " +
            "a nullable one left out is NULL. Unknown columns, id and deleted_at are refused with a 400 naming them.",
            new(), required: []);
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = ColumnValue();
        return schema;
    });

    /// <summary>The body of PATCH rows/{id}.</summary>
    public static readonly ContractSchema RowPatch = new("RowPatch", document =>
    {
        var schema = ContractSchemas.Object(
            "The columns to change, at least one, each with a value of the column's type (null only for a nullable column). " +
            "Unknown columns, id and deleted_at are refused with a 400 naming them.",
            new(), required: []);
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = ColumnValue();
        schema.MinProperties = 1;
        return schema;
    });

    /// <summary>A multipart upload: the CSV in the field <c>file</c>.</summary>
    public static readonly ContractSchema CsvUploadForm = new("CsvUploadForm", document => new OpenApiSchema
    {
        Type = JsonSchemaType.Object,
        Description = "The CSV file in the form field file (other fields are ignored). Its file name names the dataset when name= is not given.",
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["file"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = "binary",
                ContentMediaType = TextCsv,
                Description = "The CSV file: UTF-8, comma, semicolon, tab or | separated, fields optionally quoted with \".",
            },
        },
        Required = new HashSet<string>(["file"], StringComparer.Ordinal),
    });

    /// <summary>The CSV as the whole body.</summary>
    public static readonly ContractSchema CsvText = new("CsvText", document => new OpenApiSchema
    {
        Type = JsonSchemaType.String,
        Description = "The CSV file itself: UTF-8, comma, semicolon, tab or | separated, fields optionally quoted with \". " +
            "(text/plain, text/tab-separated-values and application/octet-stream bodies are read the same way.)",
    });

    public static IReadOnlyList<ContractSchema> All { get; } =
    [
        DatasetColumn, Dataset, DatasetData, DatasetList, DatasetDdl, Row, RowData, RowPage, Confirmation, NewRow, RowPatch,
        CsvUploadForm, CsvText,
    ];
}
