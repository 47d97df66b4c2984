using Analyzer.Auth;
using Analyzer.Datasets;
using System.ComponentModel;
using Analyzer.Docs;
using Analyzer.Jobs;
using Analyzer.Observability;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Analyzer.Imports;

public static partial class ImportsApi
{
    public static IServiceCollection AddImports(this IServiceCollection services)
    {
        services.AddSettings<ImportsOptions>();
        return services.AddSingleton<CitizenStore>().AddSingleton<ImportSnapshots>().AddSingleton<ImportVersions>()
            .AddAnalyzerGauge("analyzer.citizen_cache.held", "By", "Estimated bytes of the imports held in memory (bounded by --citizen-cache-mb)",
                provider => provider.GetRequiredService<ImportSnapshots>().HeldBytes);
    }

    public static RouteGroupBuilder MapImports(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/imports").WithTags("Imports").RequireAnalyzerScopes();
        group.MapPost("", CreateImport).WithName("CreateImport")
            .WithSummary("Store a new data set of citizens")
            .WithDescription("Every citizen has all nine fields, none null, and nothing else; citizen_ids are unique within the import "
                + "and relations are mutual. Any broken rule is a 400 that names it, and nothing is stored.")
            .AcceptsContract(ContractSchemas.ImportRequest, "The citizens of the new data set.",
                new ContractExample("contract", "1 and 2 are brothers, 3 has no relatives", ContractExamples.Import))
            .ProducesContract(StatusCodes.Status201Created, ContractSchemas.ImportCreated, "Stored; the new import's id.", ContractExamples.ImportCreated)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithUploadLimit()
            .AcceptsAsync(JobKind.Import);
        group.MapGet("/{import_id:id}/citizens", GetCitizens).WithName("GetCitizens")
            .WithSummary("Read every citizen of an import with its relatives")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.CitizenList, "Every citizen of the import, in no particular order.", ContractExamples.Citizens)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{import_id:id}/citizens/{citizen_id:id}", PatchCitizen).WithName("PatchCitizen")
            .WithSummary("Correct one citizen; relatives changes are mirrored on the relatives")
            .WithDescription("Changes the fields given. relatives replaces the citizen's list: a relative added gets this citizen in its list, "
                + "a relative removed loses it; a relative that is not in the import is a 400. Concurrent patches of one import apply one after another.")
            .AcceptsContract(ContractSchemas.CitizenPatch, "The fields to change, at least one.",
                new ContractExample("contract", "3 moves to Moscow, is renamed and becomes a relative of 1", ContractExamples.Patch),
                new ContractExample("clear-relatives", "3 has no relatives any more (and 1 loses 3)", ContractExamples.PatchClearRelatives))
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.CitizenData, "The citizen as now stored.", ContractExamples.PatchedCitizen)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<ImportCreated>>, ValidationProblem, ProblemHttpResult>> CreateImport(
        HttpRequest request, CitizenStore store, TimeProvider time, IOptions<ImportsOptions> options, UploadSpool spool, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, (options.Value.ImportSpoolMb * 1024L * 1024, () => spool.Create(".json")), cancellationToken);
        if (body is null)
        {
            return refusal!;
        }
        if (body.Spooled)
        {
            LogSpooled(loggers.CreateLogger(typeof(ImportsApi)), body.Content.Length);
        }
        var errors = new ValidationErrors();
        long? importId = null;
        using (body)
        {
            var citizens = new CitizenJson.ImportReader(body.Content, time.UtcToday(), errors);
            if (citizens.Start())
            {
                importId = await store.CreateImportAsync(citizens, cancellationToken, request.HttpContext.Features.Get<RowProgress>());
            }
        }
        if (importId is not { } id)
        {
            return Problems.Invalid(errors, "The import was not stored: fix the fields listed in errors.");
        }
        return JsonData.Created(new ImportCreated(id), AnalyzerJsonContext.Relaxed.DataEnvelopeImportCreated);
    }

    private static async Task<Results<CitizenResults, ProblemHttpResult>> GetCitizens(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId, CitizenStore store, CancellationToken cancellationToken)
    {
        if (!PathIds.TryParseImportId(importId, out var id) || await store.CitizensAsync(id, cancellationToken) is not { } citizens)
        {
            return Problems.ImportNotFound(importId);
        }
        return CitizenResults.List(citizens);
    }

    private static async Task<Results<CitizenResults, ValidationProblem, ProblemHttpResult>> PatchCitizen(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId, [FromRoute(Name = "citizen_id"), Description(EndpointDocs.CitizenIdDescription)] string citizenId,
        HttpRequest request, CitizenStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, cancellationToken);
        if (body is null)
        {
            return refusal!;
        }
        var errors = new ValidationErrors();
        CitizenPatch? patch;
        using (body)
        {
            patch = CitizenJson.ReadPatch(body.Content, time.UtcToday(), errors);
        }
        if (patch is null)
        {
            return Problems.Invalid(errors, "The citizen was not changed: fix the fields listed in errors.");
        }
        if (!PathIds.TryParseImportId(importId, out var import) || !PathIds.TryParseCitizenId(citizenId, out var citizen))
        {
            return Problems.NotFound($"citizen {citizenId} of import {importId} does not exist");
        }
        var outcome = await store.PatchCitizenAsync(import, citizen, patch, cancellationToken);
        switch (outcome.Status)
        {
            case PatchStatus.Updated:
                return CitizenResults.Single(outcome.Citizen!);
            case PatchStatus.UnknownCitizens:
                if (outcome.UnknownRelatives is { Count: > 0 } relatives)
                {
                    errors.Add("relatives", $"citizens {string.Join(", ", relatives)} are not in import {importId}");
                }
                if (outcome.UnknownFriends is { Count: > 0 } friends)
                {
                    errors.Add("friends", $"citizens {string.Join(", ", friends)} are not in import {importId}");
                }
                return Problems.Invalid(errors, "The citizen was not changed: fix the fields listed in errors.");
            default:
                return Problems.NotFound($"citizen {citizenId} of import {importId} does not exist");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "POST /imports: the body ({Bytes} bytes) was written to the spool folder as it arrived and is read from there")]
    private static partial void LogSpooled(ILogger logger, long bytes);
}
