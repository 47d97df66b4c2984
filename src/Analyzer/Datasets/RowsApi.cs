using System.Globalization;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Datasets.Geography;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Analyzer.Datasets;

/// <summary>
/// A dataset's rows: list (filters, order, pages), read, create, update, flag deleted, restore, purge. Each
/// request reads the dataset's catalog entry in the transaction of its SQL (<see cref="DatasetRows"/>);
/// bodies are read before that transaction begins.
/// </summary>
public static class RowsApi
{
    public static void MapRows(this RouteGroupBuilder rows)
    {
        rows.MapGet("", ListRows).WithName("ListRows").WithSummary("Rows, filtered, ordered and paginated")
            .WithDescription("Rows in id order unless order_by says otherwise, limit at a time; next links to the following page. " +
                "Any query parameter other than limit, offset, after, order_by, include_deleted, near and within_km is a filter col=value on a column. " +
                "Rows flagged deleted are left out unless include_deleted=true. On a geographic dataset (its geo names the coordinate columns), " +
                "near=LAT,LON&within_km=KM keeps the rows within that great-circle distance (sphere of radius 6,370,986 m, as ST_DistanceSphere), " +
                "nearest first unless order_by is given, each with distance_km; page them with offset.")
            .DocumentsParameters(DatasetParameters.ListRows)
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowPage, "A page of rows.", DatasetExamples.RowPage)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rows.MapGet("/{id:id}/nearby", ListNearbyRows).WithName("ListNearbyRows").WithSummary("Rows within a radius of a row, nearest first")
            .WithDescription("For a geographic dataset: the rows within within_km of this row's coordinates (the row itself included, at distance 0), " +
                "ordered by distance, each with distance_km; limit, offset, include_deleted, order_by and col=value filters work as in GET rows. " +
                "Distances are great-circle distances on a sphere of radius 6,370,986 m, as PostGIS's ST_DistanceSphere measures.")
            .DocumentsParameters(DatasetParameters.Nearby)
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowPage, "A page of rows, each with distance_km.", DatasetExamples.NearbyPage)
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

        rows.MapGet("/{id:id}/delete", DeleteRowByLink).WithName("DeleteRowByLink").WithSummary("Flag a row deleted at once and return it")
            .WithDescription("As DELETE without purge, for a link; no confirmation is needed, since POST restore undoes it.")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row, now flagged deleted.", DatasetExamples.DeletedData)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);

        rows.MapPost("/{id:id}/restore", RestoreRow).WithName("RestoreRow").WithSummary("Clear a row's deleted flag")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row, no longer flagged deleted.", DatasetExamples.GorokaData)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static readonly string[] ListParameters = ["limit", "offset", "after", "order_by", "include_deleted", "near", "within_km"];

    private static async Task<Results<WrittenJson, ValidationProblem, ProblemHttpResult>> ListRows(
        string name, HttpRequest request, DatasetRows store, CancellationToken cancellationToken)
    {
        await using var transaction = await store.BeginReadAsync(name, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        var errors = new ValidationErrors();
        var near = NearParameters.Read(dataset, request.Query, errors);
        return await PageAsync(request, transaction, dataset, near, errors, cancellationToken);
    }

    private static async Task<Results<WrittenJson, ValidationProblem, ProblemHttpResult>> ListNearbyRows(
        string name, long id, HttpRequest request, DatasetRows store, CancellationToken cancellationToken)
    {
        await using var transaction = await store.BeginReadAsync(name, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        if (await transaction.ReadRowAsync(id, cancellationToken) is not { } row)
        {
            return DatasetsApi.RowNotFound(name, id);
        }
        var errors = new ValidationErrors();
        if (request.Query.ContainsKey("near"))
        {
            errors.Add("near", "the row is the centre here: use GET /datasets/{name}/rows?near=LAT,LON for another point");
        }
        var near = NearParameters.AroundRow(dataset, row, request.Query, errors);
        return await PageAsync(request, transaction, dataset, near, errors, cancellationToken);
    }

    /// <summary>A page of rows by the query's parameters (and, when <paramref name="near"/> is given, by distance from it).</summary>
    private static async Task<Results<WrittenJson, ValidationProblem, ProblemHttpResult>> PageAsync(
        HttpRequest request, RowsTransaction transaction, Dataset dataset, Near? near, ValidationErrors errors, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var limit = QueryNumbers.Read(query, "limit", 100, 1, 10_000, errors);
        var offset = QueryNumbers.Read(query, "offset", 0, 0, long.MaxValue, errors);
        long? after = query.ContainsKey("after") ? QueryNumbers.Read(query, "after", 0, 0, long.MaxValue, errors) : null;
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
        else if (after is not null && near is not null)
        {
            errors.Add("after", "rows near a point come by distance: page them with offset, not after");
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
            orderBy, descending, after, offset, (int)limit, includeDeleted, near);
        var (rows, more) = await transaction.ReadPageAsync(rowQuery, cancellationToken);
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
        if (query.OrderBy is null && query.Near is null)
        {
            parameters["after"] = lastId.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            parameters["offset"] = (query.Offset + query.Limit).ToString(CultureInfo.InvariantCulture);
        }
        return request.Path + new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(parameters).ToQueryString().ToString();
    }

    private static async Task<Results<WrittenJson, ProblemHttpResult>> GetRow(string name, long id, DatasetRows store, CancellationToken cancellationToken)
    {
        await using var transaction = await store.BeginReadAsync(name, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        return await transaction.ReadRowAsync(id, cancellationToken) is { } row
            ? DatasetsApi.RowResult(dataset, row, StatusCodes.Status200OK)
            : DatasetsApi.RowNotFound(name, id);
    }

    private static async Task<(JsonElement? Body, IResult? Refusal)> ReadJsonObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, cancellationToken);
        if (body is null)
        {
            return (null, refusal);
        }
        using (body)
        {
            var errors = new ValidationErrors();
            if (!JsonBody.Check(body.Content, errors))
            {
                return (null, Problems.Invalid(errors, "Nothing was changed."));
            }
            var reader = new Utf8JsonReader(body.Content, JsonBody.ReaderOptions);
            using var document = JsonDocument.ParseValue(ref reader);
            return (document.RootElement.Clone(), null);
        }
    }

    /// <summary>The column values of a PUT or PATCH body, checked against the dataset read in <paramref name="transaction"/>, or the answer that refuses them.</summary>
    private static (Dictionary<string, object?>? Values, IResult? Refusal) ReadValues(
        string name, RowsTransaction transaction, JsonElement body, Required required)
    {
        if (transaction.Dataset is not { } dataset)
        {
            return (null, DatasetsApi.DatasetNotFound(name));
        }
        var errors = new ValidationErrors();
        var values = RowValues.FromJson(dataset, body, required, errors);
        return errors.IsEmpty
            ? (values, null)
            : (null, Problems.Invalid(errors, "The row was not changed: fix the columns listed in errors."));
    }

    private static async Task<IResult> CreateRow(string name, HttpRequest request, DatasetRows store, CancellationToken cancellationToken)
    {
        var (body, bodyRefusal) = await ReadJsonObjectAsync(request, cancellationToken);
        if (body is null)
        {
            return bodyRefusal!;
        }
        await using var transaction = await store.BeginWriteAsync(name, cancellationToken);
        var (values, refusal) = ReadValues(name, transaction, body.Value, Required.EveryNotNullColumn);
        if (values is null)
        {
            return refusal!;
        }
        var row = await transaction.InsertAsync(values, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return DatasetsApi.RowResult(transaction.Dataset!, row, StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateRow(string name, long id, HttpRequest request, DatasetRows store, CancellationToken cancellationToken)
    {
        var (body, bodyRefusal) = await ReadJsonObjectAsync(request, cancellationToken);
        if (body is null)
        {
            return bodyRefusal!;
        }
        await using var transaction = await store.BeginWriteAsync(name, cancellationToken);
        var (values, refusal) = ReadValues(name, transaction, body.Value, Required.AnyColumn);
        if (values is null)
        {
            return refusal!;
        }
        if (await transaction.UpdateAsync(id, values, cancellationToken) is not { } row)
        {
            return DatasetsApi.RowNotFound(name, id);
        }
        await transaction.CommitAsync(cancellationToken);
        return DatasetsApi.RowResult(transaction.Dataset!, row, StatusCodes.Status200OK);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteRow(string name, long id, DatasetRows store, CancellationToken cancellationToken, [FromQuery] string? purge)
    {
        if (purge is not null && !bool.TryParse(purge, out _))
        {
            return DatasetsApi.Invalid("purge", "must be true or false", "Nothing was deleted.");
        }
        await using var transaction = await store.BeginWriteAsync(name, cancellationToken);
        if (transaction.Dataset is null)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        var found = bool.TryParse(purge, out var remove) && remove
            ? await transaction.PurgeAsync(id, cancellationToken)
            : await transaction.SetDeletedAsync(id, deleted: true, cancellationToken) is not null;
        await transaction.CommitAsync(cancellationToken);
        return found ? TypedResults.NoContent() : DatasetsApi.RowNotFound(name, id);
    }

    private static Task<Results<WrittenJson, ProblemHttpResult>> DeleteRowByLink(string name, long id, DatasetRows store, CancellationToken cancellationToken) =>
        SetDeleted(name, id, deleted: true, store, cancellationToken);

    private static Task<Results<WrittenJson, ProblemHttpResult>> RestoreRow(string name, long id, DatasetRows store, CancellationToken cancellationToken) =>
        SetDeleted(name, id, deleted: false, store, cancellationToken);

    private static async Task<Results<WrittenJson, ProblemHttpResult>> SetDeleted(string name, long id, bool deleted, DatasetRows store, CancellationToken cancellationToken)
    {
        await using var transaction = await store.BeginWriteAsync(name, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        if (await transaction.SetDeletedAsync(id, deleted, cancellationToken) is not { } row)
        {
            return DatasetsApi.RowNotFound(name, id);
        }
        await transaction.CommitAsync(cancellationToken);
        return DatasetsApi.RowResult(dataset, row, StatusCodes.Status200OK);
    }
}
