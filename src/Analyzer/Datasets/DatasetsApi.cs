using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Datasets.Csv;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Analyzer.Datasets;

/// <summary>Any CSV as a typed table (section 7 of the contract): upload, catalog, rows, confirmation links.</summary>
public static class DatasetsApi
{
    public static IServiceCollection AddDatasets(this IServiceCollection services) => services.AddSingleton<DatasetStore>();

    public static RouteGroupBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        app.MapPost("/upload", Upload).WithTags("Datasets").WithName("UploadAlias").WithSummary("Alias of POST /datasets")
            .WithUploadDocs().WithUploadLimit()
            .RequireAnalyzerScopes();

        var datasets = app.MapGroup("/datasets").WithTags("Datasets").RequireAnalyzerScopes()
            .DocumentsParameters(DatasetParameters.Name);
        datasets.MapPost("", Upload).WithName("UploadDataset").WithSummary("Upload a CSV file as a new typed table")
            .WithUploadDocs().WithUploadLimit();
        datasets.MapGet("", List).WithName("ListDatasets").WithSummary("List the datasets")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.DatasetList, "Every dataset, by name.", DatasetExamples.DatasetList);
        datasets.MapGet("/{name}", Get).WithName("GetDataset").WithSummary("Show a dataset: columns, row count, DDL")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.DatasetData, "The dataset.", DatasetExamples.DatasetData)
            .ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapGet("/{name}/ddl", GetDdl).WithName("GetDatasetDdl").WithSummary("The DDL that created the dataset's table, as text")
            .ProducesContractAs(StatusCodes.Status200OK, DatasetSchemas.TextPlain, DatasetSchemas.DatasetDdl, "The CREATE TABLE statement, UTF-8.", DatasetExamples.DdlAnswer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapDelete("/{name}", Drop).WithName("DropDataset").WithSummary("Drop a dataset and its table")
            .WithDescription("Drops the table with its rows and the catalog entry, and forgets the pending confirmation links of the dataset.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Admin);

        var rows = datasets.MapGroup("/{name}/rows").DocumentsParameters(DatasetParameters.RowId);
        rows.MapGet("", ListRows).WithName("ListRows").WithSummary("Rows, filtered, ordered and paginated")
            .WithDescription("Rows in id order unless order_by says otherwise, limit at a time; next links to the following page. " +
                "Any query parameter other than limit, offset, after, order_by and include_deleted is a filter col=value on a column. " +
                "Rows flagged deleted are left out unless include_deleted=true.")
            .DocumentsParameters(DatasetParameters.ListRows)
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowPage, "A page of rows.", DatasetExamples.RowPage)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rows.MapPut("", CreateRow).WithName("CreateRow").WithSummary("Create a row from a JSON object")
            .WithDescription("Values are checked against the column types: a wrong type, an unknown column, or null (or nothing) for a " +
                "NOT NULL column is a 400 naming the column, and nothing is stored. The answer's Location is the new row's path.")
            .AcceptsContract(DatasetSchemas.NewRow, "The new row's values by column name.",
                new ContractExample("airport", "Madang Airport, a line of airports.dat", DatasetExamples.NewRow))
            .ProducesContract(StatusCodes.Status201Created, DatasetSchemas.RowData, "Created.", DatasetExamples.NewRowData,
                location: "The new row's path: /datasets/{name}/rows/{id}.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        rows.MapGet("/{id:id}", GetRow).WithName("GetRow").WithSummary("One row")
            .WithDescription("Also a row flagged deleted (its deleted_at is set).")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row.", DatasetExamples.GorokaData)
            .ProducesProblem(StatusCodes.Status404NotFound);
        rows.MapPatch("/{id:id}", UpdateRow).WithName("UpdateRow").WithSummary("Update the given columns of a row")
            .WithDescription("Changes the columns given, checked as in PUT; the others keep their values.")
            .AcceptsContract(DatasetSchemas.RowPatch, "The columns to change, at least one.",
                new ContractExample("correction", "A more precise city, and no DST code", DatasetExamples.Patch))
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row as now stored.", DatasetExamples.PatchedData)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        rows.MapDelete("/{id:id}", DeleteRow).WithName("DeleteRow").WithSummary("Flag a row deleted (purge=true removes it)")
            .WithDescription("A row flagged deleted is hidden from GET rows (unless include_deleted=true) and can be restored.")
            .DocumentsParameters(DatasetParameters.Purge)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        // GETs that lead to a change need the write scope; the confirmation link itself is the credential.
        rows.MapGet("/create", RequestCreate).WithName("RequestRowCreate").WithSummary("Ask for a confirmation link that creates a row")
            .WithDescription("For places where only a link can be sent. The query is the new row (col=value, checked as in PUT); " +
                "nothing changes until confirm_url is followed.")
            .DocumentsParameters(DatasetParameters.CreateValues)
            .ProducesContract(StatusCodes.Status202Accepted, DatasetSchemas.Confirmation, "The change is pending behind confirm_url.", DatasetExamples.CreateConfirmation)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);
        rows.MapGet("/{id:id}/update", RequestUpdate).WithName("RequestRowUpdate").WithSummary("Ask for a confirmation link that updates a row")
            .WithDescription("For places where only a link can be sent. The query is the columns to change (col=value, checked as in PATCH); " +
                "nothing changes until confirm_url is followed.")
            .DocumentsParameters(DatasetParameters.UpdateValues)
            .ProducesContract(StatusCodes.Status202Accepted, DatasetSchemas.Confirmation, "The change is pending behind confirm_url.", DatasetExamples.UpdateConfirmation)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);
        rows.MapGet("/{id:id}/delete", DeleteRowByLink).WithName("DeleteRowByLink").WithSummary("Flag a row deleted at once and return it")
            .WithDescription("As DELETE without purge, for a link; no confirmation is needed, since POST restore undoes it.")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row, now flagged deleted.", DatasetExamples.DeletedData)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);
        rows.MapPost("/{id:id}/restore", RestoreRow).WithName("RestoreRow").WithSummary("Clear a row's deleted flag")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row, no longer flagged deleted.", DatasetExamples.GorokaData)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapMethods("/confirmations/{token}", [HttpMethods.Get, HttpMethods.Post], Confirm)
            .WithTags("Datasets").WithName("ConfirmChange").WithSummary("Apply a change requested with a confirmation link, once")
            .WithDescription("Needs no token: the link is the credential. It applies the change once; it is 410 after that, and 404 " +
                "when it is unknown or has expired. 409 when the change no longer fits (the row or the dataset has changed or gone).")
            .DocumentsParameters(DatasetParameters.Token)
            .ProducesContract(StatusCodes.Status201Created, DatasetSchemas.RowData, "A row was created (action create).", DatasetExamples.NewRowData,
                location: "The new row's path: /datasets/{name}/rows/{id}.")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row was updated (action update).", DatasetExamples.PatchedData)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .AllowAnonymous();
        return datasets;
    }

    /// <summary>The document's view of an upload (POST /datasets and its alias POST /upload): parameters, bodies, answers.</summary>
    private static RouteHandlerBuilder WithUploadDocs(this RouteHandlerBuilder builder) => builder
        .WithDescription("Loads a CSV as a new table: every column typed by all of its values, narrowest first (integer, float, " +
            "boolean, date, timestamp, else text), plus a surrogate key id and a deleted_at mark; the DDL is kept. The file is " +
            "streamed to disk, never held in memory; invalid UTF-8, ragged rows, an unterminated quote, more than 1,600 columns " +
            "or an empty file are a 400 naming the line, and nothing is stored. A header-only file is an empty table of text columns.")
        .DocumentsParameters(DatasetParameters.Upload)
        .AcceptsContractAs(DatasetSchemas.TextCsv, DatasetSchemas.CsvText, "The CSV file, as the body or as a form field.",
            new ContractExample("airports", "Four lines of airports.dat (no header; \\N is NULL)", DatasetExamples.Csv))
        .AcceptsContractAs(DatasetSchemas.MultipartFormData, DatasetSchemas.CsvUploadForm, "The CSV file, as the body or as a form field.")
        .ProducesContract(StatusCodes.Status201Created, DatasetSchemas.DatasetData, "Loaded.", DatasetExamples.DatasetData,
            location: "The dataset's path: /datasets/{name}.")
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    // ---- datasets ----

    private static async Task<IResult> Upload(
        HttpRequest request, DatasetStore store, IOptions<AnalyzerOptions> options, CancellationToken cancellationToken,
        [FromQuery] string? name, [FromQuery] string? delimiter, [FromQuery] string? header, [FromQuery] string? columns,
        [FromQuery(Name = "null")] string? nullMarker, [FromQuery] string? mode)
    {
        var errors = new ValidationErrors();
        char? separator = null;
        if (delimiter is not null)
        {
            if (CsvDialect.TryParseDelimiter(delimiter, out var parsed))
            {
                separator = parsed;
            }
            else
            {
                errors.Add("delimiter", "must be one of , ; | or tab (\\t)");
            }
        }
        var hasHeader = header is null || header.Equals("true", StringComparison.OrdinalIgnoreCase);
        if (header is not null && !hasHeader && !header.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("header", "must be true or false");
        }
        var uploadMode = mode?.ToLowerInvariant() switch
        {
            null or "create" => UploadMode.Create,
            "replace" => UploadMode.Replace,
            "append" => UploadMode.Append,
            _ => (UploadMode?)null,
        };
        if (uploadMode is null)
        {
            errors.Add("mode", "must be create, replace or append");
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Nothing was uploaded: fix the query parameters listed in errors.");
        }

        var (upload, refusal) = await CsvUpload.ReceiveAsync(request, options.Value.MaxUploadBytes, cancellationToken);
        if (upload is null)
        {
            return refusal!;
        }
        await using (upload)
        {
            var tableName = name is not null ? ColumnNames.NormaliseTableName(name)
                : upload.FileName is not null ? ColumnNames.TableNameFromFileName(upload.FileName)
                : null;
            if (tableName is null)
            {
                errors.Add("name", "name the dataset with ?name=, or upload a file with a file name");
            }
            else if (ColumnNames.IsReservedTableName(tableName))
            {
                errors.Add("name", $"'{tableName}' is the name of one of the service's own tables; choose another");
            }
            if (!errors.IsEmpty)
            {
                return Problems.Invalid(errors, "Nothing was uploaded.");
            }
            var csvOptions = new CsvOptions
            {
                Delimiter = separator,
                Header = hasHeader,
                Columns = columns?.Split(',', StringSplitOptions.TrimEntries),
                NullMarker = nullMarker,
            };
            try
            {
                var csv = await CsvTable.ScanAsync(upload.File, csvOptions, cancellationToken);
                upload.File.Position = 0;
                var outcome = await store.UploadAsync(tableName!, upload.FileName, csv, upload.File, uploadMode!.Value, cancellationToken);
                return outcome.Status switch
                {
                    UploadStatus.Created => new WrittenJson(StatusCodes.Status201Created, w => WriteDataset(w, outcome.Dataset!), $"/datasets/{tableName}"),
                    UploadStatus.AlreadyExists => Problems.Conflict(outcome.Problem!),
                    _ => Invalid("file", outcome.Problem!),
                };
            }
            catch (CsvFormatException e)
            {
                return Invalid("file", e.Line > 0 ? $"line {e.Line}: {e.Detail}" : e.Detail);
            }
        }
    }

    private static ValidationProblem Invalid(string key, string message, string? detail = null)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return Problems.Invalid(errors, detail ?? "Nothing was uploaded: " + message);
    }

    private static async Task<WrittenJson> List(DatasetStore store, CancellationToken cancellationToken)
    {
        var datasets = await store.ListAsync(cancellationToken);
        return new WrittenJson(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var dataset in datasets)
            {
                WriteDataset(writer, dataset);
            }
            writer.WriteEndArray();
        });
    }

    private static async Task<Results<WrittenJson, ProblemHttpResult>> Get(string name, DatasetStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken) is { } dataset
            ? new WrittenJson(StatusCodes.Status200OK, w => WriteDataset(w, dataset))
            : DatasetNotFound(name);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetDdl(string name, DatasetStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken) is { } dataset
            ? TypedResults.Text(dataset.Ddl + "\n", "text/plain; charset=utf-8")
            : DatasetNotFound(name);

    private static async Task<Results<NoContent, ProblemHttpResult>> Drop(string name, DatasetStore store, CancellationToken cancellationToken) =>
        await store.DropAsync(name, cancellationToken) ? TypedResults.NoContent() : DatasetNotFound(name);

    private static ProblemHttpResult DatasetNotFound(string name) => Problems.NotFound($"dataset {name} does not exist");

    private static ProblemHttpResult RowNotFound(string name, long id) => Problems.NotFound($"dataset {name} has no row {id}");

    private static void WriteDataset(Utf8JsonWriter writer, Dataset dataset)
    {
        writer.WriteStartObject();
        writer.WriteString("name"u8, dataset.Name);
        writer.WriteStartArray("columns"u8);
        foreach (var column in dataset.Columns)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, column.Name);
            writer.WriteString("type"u8, column.Type.ToApiName());
            writer.WriteBoolean("nullable"u8, column.Nullable);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNumber("row_count"u8, dataset.RowCount);
        writer.WriteString("ddl"u8, dataset.Ddl);
        writer.WriteString("source_file"u8, dataset.SourceFile);
        writer.WriteString("created_at"u8, RowValues.FormatTimestamp(dataset.CreatedAt));
        writer.WriteString("updated_at"u8, RowValues.FormatTimestamp(dataset.UpdatedAt));
        writer.WriteEndObject();
    }

    // ---- rows ----

    private static readonly string[] ListParameters = ["limit", "offset", "after", "order_by", "include_deleted"];

    private static async Task<Results<WrittenJson, ValidationProblem, ProblemHttpResult>> ListRows(
        string name, HttpRequest request, DatasetStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return DatasetNotFound(name);
        }
        var query = request.Query;
        var errors = new ValidationErrors();
        var limit = Number(query, "limit", 100, 1, 10_000, errors);
        var offset = Number(query, "offset", 0, 0, long.MaxValue, errors);
        long? after = query.ContainsKey("after") ? Number(query, "after", 0, 0, long.MaxValue, errors) : null;
        var includeDeleted = query["include_deleted"].ToString() is var flag && flag.Equals("true", StringComparison.OrdinalIgnoreCase);
        if (flag.Length > 0 && !includeDeleted && !flag.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("include_deleted", "must be true or false");
        }
        DatasetColumn? orderBy = null;
        var descending = false;
        if (query["order_by"].ToString() is { Length: > 0 } order)
        {
            descending = order.StartsWith('-');
            var column = order.TrimStart('-');
            if (column != "id")
            {
                orderBy = dataset.Column(column);
                if (orderBy is null)
                {
                    errors.Add("order_by", $"unknown column '{column}'");
                }
            }
        }
        if (after is not null && (orderBy is not null || query.ContainsKey("offset")))
        {
            errors.Add("after", "keyset pagination (after=id) goes by id: use it without offset and without order_by on a column");
        }
        var filterValues = RowValues.FromText(dataset,
            query.Where(q => !ListParameters.Contains(q.Key)).Select(q => KeyValuePair.Create(q.Key, q.Value.ToString())),
            Required.Nothing, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }

        var rowQuery = new RowQuery(
            [.. filterValues.Select(f => (dataset.Column(f.Key)!, f.Value))],
            orderBy, descending, after, offset, (int)limit, includeDeleted);
        var (rows, more) = await store.ReadRowsAsync(dataset, rowQuery, cancellationToken);
        var next = more ? NextPage(request, rowQuery, rows[^1].Id) : null;
        return new WrittenJson(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var row in rows)
            {
                RowValues.WriteRow(writer, dataset, row);
            }
            writer.WriteEndArray();
            writer.WriteString("next"u8, next);
        });
    }

    /// <summary>The link to the next page: keyset (after=last id) when the order is by id, else offset.</summary>
    private static string NextPage(HttpRequest request, RowQuery query, long lastId)
    {
        var parameters = request.Query.Where(q => q.Key is not ("after" or "offset")).ToDictionary(q => q.Key, q => q.Value.ToString());
        if (query.OrderBy is null)
        {
            parameters["after"] = lastId.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            parameters["offset"] = (query.Offset + query.Limit).ToString(CultureInfo.InvariantCulture);
        }
        return request.Path + new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(parameters).ToQueryString().ToString();
    }

    // The "next" link is built from the parameters of this request.
    private static long Number(IQueryCollection query, string key, long fallback, long min, long max, ValidationErrors errors)
    {
        var text = query[key].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        errors.Add(key, $"must be an integer from {min} to {max}");
        return fallback;
    }

    private static async Task<Results<WrittenJson, ProblemHttpResult>> GetRow(string name, long id, DatasetStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return DatasetNotFound(name);
        }
        return await store.ReadRowAsync(dataset, id, cancellationToken) is { } row
            ? RowResult(dataset, row, StatusCodes.Status200OK)
            : RowNotFound(name, id);
    }

    private static WrittenJson RowResult(Dataset dataset, DatasetRow row, int status) =>
        new(status, w => RowValues.WriteRow(w, dataset, row),
            status == StatusCodes.Status201Created ? $"/datasets/{dataset.Name}/rows/{row.Id}" : null);

    private static async Task<(JsonElement? Body, IResult? Refusal)> ReadJsonObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, cancellationToken);
        if (body is null)
        {
            return (null, refusal);
        }
        using (body)
        {
            try
            {
                var reader = new Utf8JsonReader(body.Content);
                using var document = JsonDocument.ParseValue(ref reader);
                return (document.RootElement.Clone(), null);
            }
            catch (JsonException e)
            {
                var errors = new ValidationErrors();
                errors.Add("$", $"the body is not valid JSON: {e.Message}");
                return (null, Problems.Invalid(errors, "Nothing was changed."));
            }
        }
    }

    private static async Task<IResult> CreateRow(string name, HttpRequest request, DatasetStore store, CancellationToken cancellationToken)
    {
        var (dataset, values, refusal) = await ReadRowValuesAsync(name, request, store, Required.EveryNotNullColumn, cancellationToken);
        return refusal ?? RowResult(dataset!, await store.InsertRowAsync(dataset!, values!, cancellationToken), StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateRow(string name, long id, HttpRequest request, DatasetStore store, CancellationToken cancellationToken)
    {
        var (dataset, values, refusal) = await ReadRowValuesAsync(name, request, store, Required.AnyColumn, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        return await store.UpdateRowAsync(dataset!, id, values!, cancellationToken) is { } row
            ? RowResult(dataset!, row, StatusCodes.Status200OK)
            : RowNotFound(name, id);
    }

    /// <summary>The dataset and the column values of a PUT or PATCH body, or the answer that refuses them.</summary>
    private static async Task<(Dataset? Dataset, Dictionary<string, object?>? Values, IResult? Refusal)> ReadRowValuesAsync(
        string name, HttpRequest request, DatasetStore store, Required required, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return (null, null, DatasetNotFound(name));
        }
        var (body, refusal) = await ReadJsonObjectAsync(request, cancellationToken);
        if (body is null)
        {
            return (null, null, refusal);
        }
        var errors = new ValidationErrors();
        var values = RowValues.FromJson(dataset, body.Value, required, errors);
        return errors.IsEmpty
            ? (dataset, values, null)
            : (null, null, Problems.Invalid(errors, "The row was not changed: fix the columns listed in errors."));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteRow(string name, long id, DatasetStore store, CancellationToken cancellationToken, [FromQuery] string? purge)
    {
        if (purge is not null && !bool.TryParse(purge, out _))
        {
            return Invalid("purge", "must be true or false", "Nothing was deleted.");
        }
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return DatasetNotFound(name);
        }
        var found = bool.TryParse(purge, out var remove) && remove
            ? await store.PurgeRowAsync(dataset, id, cancellationToken)
            : await store.SetDeletedAsync(dataset, id, deleted: true, cancellationToken) is not null;
        return found ? TypedResults.NoContent() : RowNotFound(name, id);
    }

    private static Task<Results<WrittenJson, ProblemHttpResult>> DeleteRowByLink(string name, long id, DatasetStore store, CancellationToken cancellationToken) =>
        SetDeleted(name, id, deleted: true, store, cancellationToken);

    private static Task<Results<WrittenJson, ProblemHttpResult>> RestoreRow(string name, long id, DatasetStore store, CancellationToken cancellationToken) =>
        SetDeleted(name, id, deleted: false, store, cancellationToken);

    private static async Task<Results<WrittenJson, ProblemHttpResult>> SetDeleted(string name, long id, bool deleted, DatasetStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return DatasetNotFound(name);
        }
        return await store.SetDeletedAsync(dataset, id, deleted, cancellationToken) is { } row
            ? RowResult(dataset, row, StatusCodes.Status200OK)
            : RowNotFound(name, id);
    }

    // ---- confirmation links ----

    private static Task<IResult> RequestCreate(string name, HttpRequest request, DatasetStore store, TimeProvider time, IOptions<AnalyzerOptions> options, CancellationToken cancellationToken) =>
        RequestChange(name, null, request, store, time, options.Value, cancellationToken);

    private static Task<IResult> RequestUpdate(string name, long id, HttpRequest request, DatasetStore store, TimeProvider time, IOptions<AnalyzerOptions> options, CancellationToken cancellationToken) =>
        RequestChange(name, id, request, store, time, options.Value, cancellationToken);

    /// <summary>Validates a change given in the query string and stores it behind a single-use random token.</summary>
    private static async Task<IResult> RequestChange(string name, long? id, HttpRequest request, DatasetStore store, TimeProvider time, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } dataset)
        {
            return DatasetNotFound(name);
        }
        if (id is { } rowId && await store.ReadRowAsync(dataset, rowId, cancellationToken) is null)
        {
            return RowNotFound(name, rowId);
        }
        var errors = new ValidationErrors();
        var values = RowValues.FromText(dataset, request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString())),
            id is null ? Required.EveryNotNullColumn : Required.AnyColumn, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "No change was requested: fix the columns listed in errors.");
        }
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expiresAt = time.GetUtcNow().AddMinutes(options.ConfirmationTtlMinutes);
        var action = id is null ? "create" : "update";
        await store.AddPendingAsync(dataset, SHA256.HashData(Encoding.ASCII.GetBytes(token)), action, id, ChangesJson(values), expiresAt, cancellationToken);
        var confirmUrl = $"{request.Scheme}://{request.Host}{request.PathBase}/confirmations/{token}";
        return new WrittenJson(StatusCodes.Status202Accepted, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("confirm_url"u8, confirmUrl);
            writer.WriteString("expires_at"u8, RowValues.FormatTimestamp(expiresAt));
            writer.WriteString("action"u8, action);
            writer.WriteEndObject();
        });
    }

    private static string ChangesJson(Dictionary<string, object?> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (column, value) in values)
            {
                writer.WritePropertyName(column);
                RowValues.WriteValue(writer, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static async Task<IResult> Confirm(string token, DatasetStore store, CancellationToken cancellationToken)
    {
        var outcome = await store.ConfirmAsync(SHA256.HashData(Encoding.ASCII.GetBytes(token)), (dataset, action, changes, errors) =>
        {
            using var document = JsonDocument.Parse(changes);
            return RowValues.FromJson(dataset, document.RootElement, action == "create" ? Required.EveryNotNullColumn : Required.AnyColumn, errors);
        }, cancellationToken);
        return outcome.Status switch
        {
            ConfirmStatus.Applied => RowResult(outcome.Dataset!, outcome.Row!,
                outcome.Action == "create" ? StatusCodes.Status201Created : StatusCodes.Status200OK),
            ConfirmStatus.AlreadyUsed => Problems.Gone("this confirmation link has been used already"),
            ConfirmStatus.RowGone => Problems.Conflict("the change can no longer be applied: the row or the dataset has changed or gone"),
            _ => Problems.NotFound("no such confirmation link, or it has expired"),
        };
    }
}
