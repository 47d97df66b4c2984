using Analyzer.Auth;
using Analyzer.Datasets.Csv;
using Analyzer.Datasets.Geography;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Jobs;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Analyzer.Datasets;

/// <summary><c>POST /datasets</c> (and its alias <c>POST /upload</c>): a CSV file becomes a typed table.</summary>
public static class UploadApi
{
    public static void MapUpload(this IEndpointRouteBuilder app, RouteGroupBuilder datasets)
    {
        app.MapPost("/upload", Upload).WithTags("Datasets").WithName("UploadAlias").WithSummary("Alias of POST /datasets")
            .WithUploadDocs().WithUploadLimit().AcceptsAsync(JobKind.DatasetUpload)
            .RequireAnalyzerScopes();

        datasets.MapPost("", Upload).WithName("UploadDataset").WithSummary("Upload a CSV file as a new typed table")
            .WithUploadDocs().WithUploadLimit().AcceptsAsync(JobKind.DatasetCreate);
    }

    /// <summary>The document's view of an upload (POST /datasets and its alias POST /upload): parameters, bodies, answers.</summary>
    private static RouteHandlerBuilder WithUploadDocs(this RouteHandlerBuilder builder) => builder
        .WithDescription("Loads a CSV as a new table: every column typed by all of its values, narrowest first (integer, float, " +
            "boolean, date, timestamp, else text), plus a surrogate key id and a deleted_at mark; the DDL is kept. The file is " +
            "streamed to disk, never held in memory; invalid UTF-8, ragged rows, an unterminated quote, more than 1,600 columns, " +
            "rows wider than 8,160 bytes (PostgreSQL's page, on both back ends) or an empty file are a 400, and nothing is stored. A header-only file is an empty table of text columns.")
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

    private static async Task<IResult> Upload(
        HttpRequest request, DatasetUploads uploads, IOptions<DatasetsOptions> options, CancellationToken cancellationToken,
        [FromQuery] string? name, [FromQuery] string? delimiter, [FromQuery] string? header, [FromQuery] string? columns,
        [FromQuery(Name = "null")] string? nullMarker, [FromQuery] string? mode, [FromQuery(Name = "decimal")] string? decimalMark,
        [FromQuery] string? lat, [FromQuery] string? lon)
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
        bool? decimalComma = decimalMark switch { "," => true, "." => false, _ => null };
        if (decimalMark is not (null or "," or "."))
        {
            errors.Add("decimal", "must be , (numbers written 1.234,56) or . (1234.56); without it, ;-separated files are read either way per column");
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
                DecimalComma = decimalComma,
            };
            try
            {
                var csv = await CsvTable.ScanAsync(upload.File, csvOptions, cancellationToken);
                if (RowSize.Problem(csv.Columns) is { } tooWide)
                {
                    return DatasetsApi.Invalid("file", tooWide);
                }
                var coordinates = GeoColumns.Choose(csv.Columns, lat, lon, errors);
                if (!errors.IsEmpty)
                {
                    return Problems.Invalid(errors, "Nothing was uploaded: fix the query parameters listed in errors.");
                }
                upload.File.Position = 0;
                var outcome = await uploads.UploadAsync(
                    tableName!, upload.FileName, csv, upload.File, uploadMode!.Value, cancellationToken, coordinates, request.HttpContext.Features.Get<RowProgress>());
                return outcome.Status switch
                {
                    UploadStatus.Created => new WrittenJson(StatusCodes.Status201Created, w => DatasetsApi.WriteDataset(w, outcome.Dataset!), $"/datasets/{tableName}"),
                    UploadStatus.AlreadyExists => Problems.Conflict(outcome.Problem!),
                    _ => DatasetsApi.Invalid("file", outcome.Problem!),
                };
            }
            catch (CsvFormatException e)
            {
                return DatasetsApi.Invalid("file", e.Line > 0 ? $"line {e.Line}: {e.Detail}" : e.Detail);
            }
        }
    }
}
