using System.Text.Json;
using Analyzer.Datasets.Csv;
using Analyzer.Datasets.Geography;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Datasets;

/// <summary>
/// Any CSV as a typed table (section 7 of the contract), by responsibility: <see cref="UploadApi"/>
/// (POST /datasets), <see cref="CatalogApi"/> (list, show, DDL, drop), <see cref="RowsApi"/> (rows) and
/// <see cref="ConfirmationsApi"/> (changes applied by following a link). Each has a store of the same name.
/// </summary>
public static class DatasetsApi
{
    public static IServiceCollection AddDatasets(this IServiceCollection services) => services
        .AddSingleton<DatasetCatalog>()
        .AddSingleton<DatasetUploads>()
        .AddSingleton<DatasetRows>()
        .AddSingleton<DatasetConfirmations>()
        .AddSingleton<UploadSpool>()
        .AddTownAirports()
        .AddHostedService(provider => provider.GetRequiredService<UploadSpool>())
        .AddSingleton<IPurge>(provider => provider.GetRequiredService<DatasetConfirmations>());

    public static RouteGroupBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/datasets").WithTags("Datasets").RequireAnalyzerScopes()
            .DocumentsParameters(DatasetParameters.Name);
        app.MapUpload(datasets);
        datasets.MapCatalog();
        var rows = datasets.MapGroup("/{name}/rows").DocumentsParameters(DatasetParameters.RowId);
        rows.MapRows();
        app.MapConfirmations(rows);
        app.MapTownAirports();
        return datasets;
    }

    internal static ProblemHttpResult DatasetNotFound(string name) => Problems.NotFound($"dataset {name} does not exist");

    internal static ProblemHttpResult RowNotFound(string name, long id) => Problems.NotFound($"dataset {name} has no row {id}");

    internal static ValidationProblem Invalid(string key, string message, string? detail = null)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return Problems.Invalid(errors, detail ?? "Nothing was uploaded: " + message);
    }

    internal static WrittenJson RowResult(Dataset dataset, DatasetRow row, int status) =>
        new(status, w => RowValues.WriteRow(w, dataset, row),
            status == StatusCodes.Status201Created ? $"/datasets/{dataset.Name}/rows/{row.Id}" : null);

    internal static void WriteDataset(Utf8JsonWriter writer, Dataset dataset)
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
        if (dataset.Geo is { } geo)
        {
            writer.WriteStartObject("geo"u8);
            writer.WriteString("lat"u8, geo.Lat);
            writer.WriteString("lon"u8, geo.Lon);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("geo"u8);
        }
        writer.WriteString("ddl"u8, dataset.Ddl);
        writer.WriteString("source_file"u8, dataset.SourceFile);
        writer.WriteString("created_at"u8, RowValues.FormatTimestamp(dataset.CreatedAt));
        writer.WriteString("updated_at"u8, RowValues.FormatTimestamp(dataset.UpdatedAt));
        writer.WriteEndObject();
    }
}
