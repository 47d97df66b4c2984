using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Datasets;

/// <summary>The catalog: list the datasets, show one and its DDL, drop one.</summary>
public static class CatalogApi
{
    public static void MapCatalog(this RouteGroupBuilder datasets)
    {
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
    }

    private static async Task<WrittenJson> List(DatasetCatalog catalog, CancellationToken cancellationToken)
    {
        var datasets = await catalog.ListAsync(cancellationToken);
        return new WrittenJson(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var dataset in datasets)
            {
                DatasetsApi.WriteDataset(writer, dataset);
            }
            writer.WriteEndArray();
        });
    }

    private static async Task<Results<WrittenJson, ProblemHttpResult>> Get(string name, DatasetCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetAsync(name, cancellationToken) is { } dataset
            ? new WrittenJson(StatusCodes.Status200OK, w => DatasetsApi.WriteDataset(w, dataset))
            : DatasetsApi.DatasetNotFound(name);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetDdl(string name, DatasetCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetAsync(name, cancellationToken) is { } dataset
            ? TypedResults.Text(dataset.Ddl + "\n", "text/plain; charset=utf-8")
            : DatasetsApi.DatasetNotFound(name);

    private static async Task<Results<NoContent, ProblemHttpResult>> Drop(string name, DatasetCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.DropAsync(name, cancellationToken) ? TypedResults.NoContent() : DatasetsApi.DatasetNotFound(name);
}
