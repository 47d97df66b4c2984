using Analyzer.Auth;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Analyzer.Analytics;

public static class AnalyticsApi
{
    public static RouteGroupBuilder MapAnalytics(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/imports/{import_id:id}").WithTags("Analytics").RequireAnalyzerScopes();
        group.MapGet("/citizens/birthdays", GetBirthdays).WithName("GetBirthdays")
            .WithSummary("How many presents each citizen buys for relatives, by month of the relatives' birthdays");
        group.MapGet("/towns/stat/percentile/age", GetAgePercentiles).WithName("GetAgePercentiles")
            .WithSummary("Percentiles 50, 75 and 99 of the citizens' ages, per town");
        return group;
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<Dictionary<string, BuyerPresents[]>>>, ProblemHttpResult>> GetBirthdays(
        [FromRoute(Name = "import_id")] string importId, ICitizenStore store, CancellationToken cancellationToken)
    {
        var relatives = PathIds.TryParseImportId(importId, out var id)
            ? await store.ReadRelativeBirthDatesAsync(id, cancellationToken)
            : null;
        if (relatives is null)
        {
            return Problems.ImportNotFound(importId);
        }
        return JsonData.Ok(Birthdays.PresentsByMonth(relatives), AnalyzerJsonContext.Relaxed.DataEnvelopeDictionaryStringBuyerPresentsArray);
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<TownAgePercentiles[]>>, ProblemHttpResult>> GetAgePercentiles(
        [FromRoute(Name = "import_id")] string importId, ICitizenStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var citizens = PathIds.TryParseImportId(importId, out var id)
            ? await store.ReadTownBirthDatesAsync(id, cancellationToken)
            : null;
        if (citizens is null)
        {
            return Problems.ImportNotFound(importId);
        }
        var today = time.UtcToday();
        return JsonData.Ok(AgePercentiles.ByTown(citizens, today), AnalyzerJsonContext.Relaxed.DataEnvelopeTownAgePercentilesArray);
    }
}
