using Analyzer.Auth;
using System.ComponentModel;
using Analyzer.Docs;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using System.Text.Json;

namespace Analyzer.Analytics;

public static class AnalyticsApi
{
    public static RouteGroupBuilder MapAnalytics(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/imports/{import_id:id}").WithTags("Analytics").RequireAnalyzerScopes();
        group.MapGet("/citizens/birthdays", GetBirthdays).WithName("GetBirthdays")
            .WithSummary("How many presents each citizen buys for relatives, by month of the relatives' birthdays")
            .WithDescription("All twelve months \"1\" to \"12\", always. Under each month, every citizen with relatives born in it, "
                + "once, with the number of those relatives (one present each); a citizen who is its own relative buys itself one.")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.PresentsByMonth, "Presents by month.", ContractExamples.PresentsByMonth)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/towns/stat/percentile/age", GetAgePercentiles).WithName("GetAgePercentiles")
            .WithSummary("Percentiles 50, 75 and 99 of the citizens' ages, per town")
            .WithDescription("Ages are full years at today's date in UTC. Percentiles are numpy.percentile's (linear interpolation), "
                + "rounded to 2 decimals, halves away from zero, computed exactly.")
            .ProducesContract(StatusCodes.Status200OK, ContractSchemas.AgePercentiles, "One entry per town of the import.", ContractExamples.AgePercentiles)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    public static IServiceCollection AddAnalytics(this IServiceCollection services) =>
        services.AddSingleton<AnswerCache>().AddSingleton<AnalyticsQueries>();

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetBirthdays(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId,
        AnalyticsQueries store, AnswerCache cache, CancellationToken cancellationToken)
    {
        var version = PathIds.TryParseImportId(importId, out var id) ? await store.ImportVersionAsync(id, cancellationToken) : null;
        var json = version is null ? null : await cache.GetOrAddAsync(("birthdays", id, version.Value), async () =>
            JsonSerializer.SerializeToUtf8Bytes(
                new DataEnvelope<Dictionary<string, BuyerPresents[]>>(Birthdays.PresentsByMonth(await store.ReadKinAsync(id, cancellationToken))),
                AnalyzerJsonContext.Relaxed.DataEnvelopeDictionaryStringBuyerPresentsArray));
        return json is null ? Problems.ImportNotFound(importId) : TypedResults.Bytes(json, JsonData.ContentType);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetAgePercentiles(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId,
        AnalyticsQueries store, AnswerCache cache, TimeProvider time, CancellationToken cancellationToken)
    {
        var version = PathIds.TryParseImportId(importId, out var id) ? await store.ImportVersionAsync(id, cancellationToken) : null;
        var today = time.UtcToday();
        var json = version is null ? null : await cache.GetOrAddAsync(("percentiles", id, version.Value, today), async () =>
            JsonSerializer.SerializeToUtf8Bytes(
                new DataEnvelope<TownAgePercentiles[]>(AgePercentiles.ByTown(await store.ReadTownBirthDatesAsync(id, cancellationToken), today)),
                AnalyzerJsonContext.Relaxed.DataEnvelopeTownAgePercentilesArray));
        return json is null ? Problems.ImportNotFound(importId) : TypedResults.Bytes(json, JsonData.ContentType);
    }
}
