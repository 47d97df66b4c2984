using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Analyzer.Docs;

/// <summary>The parameters of the dataset endpoints as the document describes them (the endpoints read most of them from the query string themselves).</summary>
public static class DatasetParameters
{
    /// <summary>Most rows a page holds (limit=).</summary>
    public const int MaxLimit = 10_000;

    public const int DefaultLimit = 100;

    private static OpenApiSchema Text(string? pattern = null) => new() { Type = JsonSchemaType.String, Pattern = pattern };

    private static OpenApiSchema Enum(string? fallback, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
        Default = fallback is null ? null : JsonValue.Create(fallback),
    };

    private static OpenApiSchema Flag(bool fallback) => new() { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(fallback) };

    private static OpenApiSchema Count(long minimum, long? maximum, long? fallback) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = minimum.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum?.ToString(CultureInfo.InvariantCulture),
        Default = fallback is null ? null : JsonValue.Create(fallback.Value),
    };

    /// <summary>Column values as <c>col=value</c> query parameters: a free-form object sent exploded.</summary>
    private static OpenApiSchema ColumnTexts() => new()
    {
        Type = JsonSchemaType.Object,
        AdditionalPropertiesAllowed = true,
        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    // ---- path ----

    public static readonly ContractParameter Name = new("name", ParameterLocation.Path,
        "The dataset's normalised name, as its upload answered it (airports for ?name=Airports); the name is matched exactly.", () => Text())
    {
        Example = () => JsonValue.Create(DatasetExamples.Name),
    };

    public static readonly ContractParameter RowId = new("id", ParameterLocation.Path,
        "The row's surrogate id (the id member of a row), given by the service.", () => Text());

    public static readonly ContractParameter Token = new("token", ParameterLocation.Path,
        "The confirmation token: the last segment of the confirm_url that requested the change.", () => Text())
    {
        Example = DatasetExamples.Token,
    };

    // ---- uploads ----

    public static readonly ContractParameter[] Upload =
    [
        new("name", ParameterLocation.Query,
            "The dataset's name, normalised to a safe lower-case identifier (My Airports → my_airports; a leading digit gets t_). " +
            "Default: the uploaded file's name without its extension; a text/csv body needs name=. " +
            "Any name is free: dataset tables live in a namespace of their own.", () => Text())
        {
            Example = () => JsonValue.Create(DatasetExamples.Name),
        },
        new("delimiter", ParameterLocation.Query,
            "The field separator: , ; | or a tab (also written \\t, tab, comma, semicolon, pipe). Default: detected among these from the first lines.",
            () => Enum(null, ",", ";", "|", "\t", "\\t", "tab", "comma", "semicolon", "pipe")),
        new("header", ParameterLocation.Query,
            "Whether the first line names the columns. false for a file without a header, such as airports.dat; then give columns= " +
            "(else the columns are column_1, column_2, …).", () => Flag(true))
        {
            Example = () => JsonValue.Create(false),
        },
        new("columns", ParameterLocation.Query,
            "Names for the columns of a file without a header, comma separated, normalised like header cells.", () => Text())
        {
            Example = () => JsonValue.Create(DatasetExamples.AirportColumns),
        },
        new("null", ParameterLocation.Query,
            "A marker also read as NULL, such as \\N. An empty unquoted cell is always NULL; a quoted empty cell is an empty string.", () => Text())
        {
            Example = () => JsonValue.Create("\\N"),
        },
        new("decimal", ParameterLocation.Query,
            ", when numbers are written 1.234,56 (a decimal comma, dots between thousands); . when 1234.56. Default: . — and for a " +
            ";-separated file, each column whose values are all numbers with a decimal comma (and one has a comma) is read so.",
            () => Enum(null, ",", ".")),
        new("mode", ParameterLocation.Query,
            "create: a new dataset (a name already taken is 409); replace: drop the dataset and load the file anew; " +
            "append: add the rows to the dataset (its columns must match, else 400). replace and append create a dataset that does not exist.",
            () => Enum("create", "create", "replace", "append")),
        new("lat", ParameterLocation.Query,
            "The latitude column (its name in the file or as normalised), with lon=: makes the dataset geographic. Without both, float columns " +
            "named latitude or lat and longitude, lon or lng (any case) are chosen. A column that does not exist or is not numeric is 400; " +
            "so is a value outside -90..90 (naming its line).", () => Text()),
        new("lon", ParameterLocation.Query,
            "The longitude column, with lat=; values must be from -180 to 180.", () => Text()),
    ];

    // ---- rows ----

    public static readonly ContractParameter[] ListRows =
    [
        new("limit", ParameterLocation.Query, $"Rows per page, 1–{MaxLimit}.", () => Count(1, MaxLimit, DefaultLimit)),
        new("offset", ParameterLocation.Query,
            "Rows to skip, 0 by default (offset pagination, for an order_by on a column). Not with after: give none to page by keyset.",
            () => Count(0, long.MaxValue, null)),
        new("after", ParameterLocation.Query,
            "Keyset pagination: only rows whose id is greater (the last id of the previous page). Only in id order: not with offset " +
            "nor with order_by on a column.", () => Count(0, long.MaxValue, null)),
        new("order_by", ParameterLocation.Query,
            "The column to order by, ascending (col) or descending (-col); id by default. Ties are broken by id.", () => Text("^-?[a-z][a-z0-9_]*$")),
        new("include_deleted", ParameterLocation.Query, "true also lists the rows flagged deleted.", () => Flag(false)),
        new("near", ParameterLocation.Query,
            "LAT,LON in degrees (37.773972,-122.43129), with within_km, on a geographic dataset: only the rows within within_km of that point, " +
            "nearest first (unless order_by), each with distance_km; not with after (page with offset). On a dataset that is not geographic, 400.",
            () => Text()),
        new("within_km", ParameterLocation.Query,
            "The radius of near= in kilometres: a number, 0 or more (83 for the seed's question). Required with near, refused without it.",
            WithinKm),
        new("filters", ParameterLocation.Query,
            "Any other parameter col=value keeps the rows whose column equals the value, compared as the column's type " +
            "(altitude=5282, iata=GKA; an empty value matches NULL). Several filters must all hold. An unknown column, or a value " +
            "that is not of the column's type, is 400.", ColumnTexts)
        {
            FreeFormObject = true,
            Example = DatasetExamples.Filter,
        },
    ];

    private static OpenApiSchema WithinKm() => new() { Type = JsonSchemaType.Number, Minimum = "0" };

    /// <summary>GET rows/{id}/nearby: the radius, and the listing's own parameters.</summary>
    public static readonly ContractParameter[] Nearby =
    [
        new("within_km", ParameterLocation.Query,
            "The radius in kilometres around the row's coordinates: a number, 0 or more. Required.", WithinKm)
        {
            Required = true,
            Example = () => JsonValue.Create(100),
        },
        .. ListRows.Where(p => p.Name is not ("near" or "within_km" or "after")),
    ];

    public static readonly ContractParameter Purge = new("purge", ParameterLocation.Query,
        "true removes the row for good instead of flagging it deleted.", () => Flag(false));

    public static readonly ContractParameter CreateValues = new("values", ParameterLocation.Query,
        "The new row as col=value query parameters, each of the column's type (an empty value is NULL); every NOT NULL column is required.",
        ColumnTexts)
    {
        Required = true,
        FreeFormObject = true,
        Example = DatasetExamples.CreateQuery,
    };

    public static readonly ContractParameter UpdateValues = new("values", ParameterLocation.Query,
        "The columns to change as col=value query parameters, at least one, each of the column's type (an empty value is NULL).",
        ColumnTexts)
    {
        Required = true,
        FreeFormObject = true,
        Example = DatasetExamples.UpdateQuery,
    };
}
