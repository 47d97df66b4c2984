using Analyzer.Auth;
using System.ComponentModel;
using Analyzer.Docs;
using Analyzer.Imports;
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
        group.MapGet("/citizens/courses", GetCourses).WithName("GetCourses")
            .WithSummary("How many courses each citizen buys for relatives and friends, by advertising channel")
            .WithDescription("One key per advertising channel that a citizen of the import has, in ordinal order; citizens without a channel "
                + "are under the key \"\" (the empty string, which no channel can be). Under each, every citizen of the channel with at "
                + "least one relative or friend, by citizen_id, with the number of courses it buys: one per distinct relative or friend "
                + "(someone who is both counts once; a citizen who lists itself buys itself one). by=channel,month splits each channel "
                + "into the twelve months \"1\" to \"12\" (always all twelve) by the month of the recipient's birthday.")
            .DocumentsParameters(CoursesDocs.CoursesBy)
            .ProducesContract(StatusCodes.Status200OK, CoursesDocs.CoursesByChannel, "Courses by channel (by=channel, the default).",
                CoursesDocs.CoursesByChannelExample)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/stat/demand", GetDemand).WithName("GetDemand")
            .WithSummary("Demand for courses: citizens and the courses they buy, per town, age group and advertising channel")
            .WithDescription("One row per non-empty cell of the keys in by, with those keys only, citizens (how many residents) and courses "
                + "(how many courses they buy, counted as in GET .../citizens/courses). Rows are ordered by the keys in the order by names "
                + "them: towns and channels in ordinal order (no channel, written null, first), age groups in their order. Ages are full "
                + "years at today's date in UTC; a citizen whose age is in none of the age groups is left out when age_group is a key.")
            .DocumentsParameters(CoursesDocs.DemandParameters)
            .ProducesContract(StatusCodes.Status200OK, CoursesDocs.DemandRows, "One row per non-empty cell.", CoursesDocs.DemandExample)
            .ProducesValidationProblem()
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
                new DataEnvelope<Dictionary<string, BuyerPresents[]>>(Birthdays.PresentsByMonth(await store.ReadKinAsync(id, version.Value, cancellationToken))),
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
                new DataEnvelope<TownAgePercentiles[]>(AgePercentiles.ByTown(await store.ReadTownBirthDatesAsync(id, version.Value, cancellationToken), today)),
                AnalyzerJsonContext.Relaxed.DataEnvelopeTownAgePercentilesArray));
        return json is null ? Problems.ImportNotFound(importId) : TypedResults.Bytes(json, JsonData.ContentType);
    }

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetCourses(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId,
        HttpRequest request, AnalyticsQueries store, AnswerCache cache, CancellationToken cancellationToken)
    {
        var by = request.Query["by"];
        var byMonth = false;
        if (by.Count > 0)
        {
            var text = string.Join(',', by.ToArray());
            if (text is not ("channel" or "channel,month"))
            {
                var errors = new ValidationErrors();
                errors.Add("by", $"must be channel or channel,month, not \"{text}\"");
                return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
            }
            byMonth = text == "channel,month";
        }
        var version = PathIds.TryParseImportId(importId, out var id) ? await store.ImportVersionAsync(id, cancellationToken) : null;
        var json = version is null ? null : await cache.GetOrAddAsync(("courses", id, version.Value, byMonth), async () =>
        {
            var (buyers, channels) = await store.ReadBuyersAsync(id, version.Value, cancellationToken);
            return byMonth
                ? JsonSerializer.SerializeToUtf8Bytes(new DataEnvelope<Dictionary<string, Dictionary<string, BuyerCourses[]>>>(Courses.ByChannelAndMonth(buyers, channels)),
                    AnalyzerJsonContext.Relaxed.DataEnvelopeDictionaryStringDictionaryStringBuyerCoursesArray)
                : JsonSerializer.SerializeToUtf8Bytes(new DataEnvelope<Dictionary<string, BuyerCourses[]>>(Courses.ByChannel(buyers, channels)),
                    AnalyzerJsonContext.Relaxed.DataEnvelopeDictionaryStringBuyerCoursesArray);
        });
        return json is null ? Problems.ImportNotFound(importId) : TypedResults.Bytes(json, JsonData.ContentType);
    }

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetDemand(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId,
        HttpRequest request, AnalyticsQueries store, AnswerCache cache, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var by = Demand.DefaultBy;
        if (request.Query.TryGetValue("by", out var byValues))
        {
            var text = string.Join(',', byValues.ToArray());
            if (text.Length == 0)
            {
                errors.Add("by", "must name at least one key: town, age_group or channel, separated by commas");
            }
            else if (Demand.ParseBy(text, out var error) is { } parsed)
            {
                by = parsed;
            }
            else
            {
                errors.Add("by", error!);
            }
        }
        var ageGroups = Demand.DefaultAgeGroups;
        if (request.Query.TryGetValue("age_groups", out var groupValues))
        {
            if (Demand.ParseAgeGroups(string.Join(',', groupValues.ToArray()), out var error) is { } parsed)
            {
                ageGroups = parsed;
            }
            else
            {
                errors.Add("age_groups", error!);
            }
            if (errors.IsEmpty && !by.Contains(DemandKey.AgeGroup))
            {
                errors.Add("age_groups", "applies only when by names age_group");
            }
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }

        var version = PathIds.TryParseImportId(importId, out var id) ? await store.ImportVersionAsync(id, cancellationToken) : null;
        var today = time.UtcToday();
        var key = ("demand", id, version, string.Join(',', by.Select(Demand.KeyName)),
            by.Contains(DemandKey.AgeGroup) ? string.Join(',', ageGroups.Select(g => g.Label)) + "@" + today.DayNumber : "");
        var json = version is null ? null : await cache.GetOrAddAsync(key, async () =>
            JsonSerializer.SerializeToUtf8Bytes(
                new DataEnvelope<DemandRow[]>(Demand.Cells(await store.ReadPeopleAsync(id, version.Value, cancellationToken), by, ageGroups, today)),
                AnalyzerJsonContext.Relaxed.DataEnvelopeDemandRowArray));
        return json is null ? Problems.ImportNotFound(importId) : TypedResults.Bytes(json, JsonData.ContentType);
    }
}
