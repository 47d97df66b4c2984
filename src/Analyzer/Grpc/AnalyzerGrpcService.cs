using System.Buffers;
using Analyzer.Analytics;
using Analyzer.Auth;
using Analyzer.Imports;
using Analyzer.Web;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Proto = Analyzer.Grpc.V1;

namespace Analyzer.Grpc;

/// <summary>
/// <c>analyzer.v1.Analyzer</c>: the REST API's imports, citizens and analytics over gRPC, on the same stores, the same
/// validation (<see cref="CitizenMessages"/>), the same answer cache and the same scopes as their REST twins.
/// </summary>
public sealed class AnalyzerGrpcService(
    CitizenStore citizens, AnalyticsQueries analytics, AnswerCache cache, TimeProvider time, IOptions<WebOptions> web)
    : Proto.Analyzer.AnalyzerBase
{
    /// <summary>Citizens per ListCitizens message: ~250 KB, well below the 4 MiB a client accepts by default.</summary>
    public const int ListBatchSize = 1000;

    [Authorize(Scopes.Write), EnableRateLimiting(UploadLimit.Policy)]
    public override async Task<Proto.ImportCitizensResponse> ImportCitizens(
        IAsyncStreamReader<Proto.ImportCitizensRequest> requestStream, ServerCallContext context)
    {
        var limit = web.Value.MaxRequestBodyBytes;
        long received = 0;
        var body = new ArrayBufferWriter<byte>(64 * 1024);
        var errors = new ValidationErrors();
        using (var writer = CitizenMessages.BeginImport(body))
        {
            await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
            {
                received += batch.CalculateSize();
                if (received > limit)
                {
                    throw GrpcErrors.TooLarge(limit);
                }
                foreach (var citizen in batch.Citizens)
                {
                    CitizenMessages.WriteImportCitizen(writer, citizen);
                }
            }
            CitizenMessages.EndImport(writer);
        }
        // POST /imports's own path: read, validated and bulk-loaded together, committed only if valid as a whole.
        var reader = new CitizenJson.ImportReader(new ReadOnlySequence<byte>(body.WrittenMemory), time.UtcToday(), errors);
        var stored = reader.Start() ? await citizens.CreateImportAsync(reader, context.CancellationToken) : null;
        if (stored is not { } importId)
        {
            throw GrpcErrors.Invalid(errors, "The import was not stored: fix the fields listed in the BadRequest details.");
        }
        return new Proto.ImportCitizensResponse { ImportId = importId };
    }

    [Authorize(Scopes.Read)]
    public override async Task ListCitizens(
        Proto.ListCitizensRequest request, IServerStreamWriter<Proto.ListCitizensResponse> responseStream, ServerCallContext context)
    {
        var all = await citizens.CitizensAsync(request.ImportId, context.CancellationToken) ?? throw GrpcErrors.ImportNotFound(request.ImportId);
        var batch = new Proto.ListCitizensResponse();
        await foreach (var citizen in all)
        {
            batch.Citizens.Add(CitizenMessages.ToMessage(citizen));
            if (batch.Citizens.Count == ListBatchSize)
            {
                await responseStream.WriteAsync(batch, context.CancellationToken);
                batch = new Proto.ListCitizensResponse();
            }
        }
        if (batch.Citizens.Count > 0)
        {
            await responseStream.WriteAsync(batch, context.CancellationToken);
        }
    }

    [Authorize(Scopes.Write)]
    public override async Task<Proto.PatchCitizenResponse> PatchCitizen(Proto.PatchCitizenRequest request, ServerCallContext context)
    {
        // As REST: the body is judged first, then whether the citizen exists.
        var errors = new ValidationErrors();
        var patch = CitizenJson.ReadPatch(CitizenMessages.PatchBody(request), time.UtcToday(), errors);
        const string NotChanged = "The citizen was not changed: fix the fields listed in the BadRequest details.";
        if (patch is null)
        {
            throw GrpcErrors.Invalid(errors, NotChanged);
        }
        if (request.ImportId < 0 || request.CitizenId < 0)
        {
            throw GrpcErrors.CitizenNotFound(request.ImportId, request.CitizenId);
        }
        var outcome = await citizens.PatchCitizenAsync(request.ImportId, request.CitizenId, patch, context.CancellationToken);
        switch (outcome.Status)
        {
            case PatchStatus.Updated:
                return new Proto.PatchCitizenResponse { Citizen = CitizenMessages.ToMessage(outcome.Citizen!) };
            case PatchStatus.UnknownCitizens:
                if (outcome.UnknownRelatives is { Count: > 0 } relatives)
                {
                    errors.Add("relatives", $"citizens {string.Join(", ", relatives)} are not in import {request.ImportId}");
                }
                if (outcome.UnknownFriends is { Count: > 0 } friends)
                {
                    errors.Add("friends", $"citizens {string.Join(", ", friends)} are not in import {request.ImportId}");
                }
                throw GrpcErrors.Invalid(errors, NotChanged);
            default:
                throw GrpcErrors.CitizenNotFound(request.ImportId, request.CitizenId);
        }
    }

    [Authorize(Scopes.Read)]
    public override async Task<Proto.GetBirthdaysResponse> GetBirthdays(Proto.GetBirthdaysRequest request, ServerCallContext context)
    {
        var id = request.ImportId;
        var version = await analytics.ImportVersionAsync(id, context.CancellationToken) ?? throw GrpcErrors.ImportNotFound(id);
        // The cache holds serialised answers: the message's bytes here, beside the REST answer's JSON under another key.
        var bytes = await cache.GetOrAddAsync(("grpc-birthdays", id, version), async () =>
            BirthdaysMessage(Birthdays.PresentsByMonth(await analytics.ReadKinAsync(id, version, context.CancellationToken))).ToByteArray());
        return Proto.GetBirthdaysResponse.Parser.ParseFrom(bytes);
    }

    [Authorize(Scopes.Read)]
    public override async Task<Proto.GetAgePercentilesResponse> GetAgePercentiles(Proto.GetAgePercentilesRequest request, ServerCallContext context)
    {
        var id = request.ImportId;
        var version = await analytics.ImportVersionAsync(id, context.CancellationToken) ?? throw GrpcErrors.ImportNotFound(id);
        var today = time.UtcToday();
        var bytes = await cache.GetOrAddAsync(("grpc-percentiles", id, version, today), async () =>
            PercentilesMessage(AgePercentiles.ByTown(await analytics.ReadTownBirthDatesAsync(id, version, context.CancellationToken), today)).ToByteArray());
        return Proto.GetAgePercentilesResponse.Parser.ParseFrom(bytes);
    }

    [Authorize(Scopes.Read)]
    public override async Task<Proto.GetCoursesResponse> GetCourses(Proto.GetCoursesRequest request, ServerCallContext context)
    {
        var id = request.ImportId;
        var byMonth = request.ByMonth;
        var version = await analytics.ImportVersionAsync(id, context.CancellationToken) ?? throw GrpcErrors.ImportNotFound(id);
        var bytes = await cache.GetOrAddAsync(("grpc-courses", id, version, byMonth), async () =>
        {
            var (buyers, channels) = await analytics.ReadBuyersAsync(id, version, context.CancellationToken);
            return (byMonth ? CoursesByMonthMessage(Courses.ByChannelAndMonth(buyers, channels)) : CoursesMessage(Courses.ByChannel(buyers, channels))).ToByteArray();
        });
        return Proto.GetCoursesResponse.Parser.ParseFrom(bytes);
    }

    [Authorize(Scopes.Read)]
    public override async Task<Proto.GetDemandResponse> GetDemand(Proto.GetDemandRequest request, ServerCallContext context)
    {
        // The rules and texts of GET /stat/demand's query parameters (AnalyticsApi.GetDemand).
        var errors = new ValidationErrors();
        var by = Demand.DefaultBy;
        if (request.HasBy)
        {
            if (request.By.Length == 0)
            {
                errors.Add("by", "must name at least one key: town, age_group or channel, separated by commas");
            }
            else if (Demand.ParseBy(request.By, out var error) is { } parsed)
            {
                by = parsed;
            }
            else
            {
                errors.Add("by", error!);
            }
        }
        var ageGroups = Demand.DefaultAgeGroups;
        if (request.HasAgeGroups)
        {
            if (Demand.ParseAgeGroups(request.AgeGroups, out var error) is { } parsed)
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
            throw GrpcErrors.Invalid(errors, "Fix the fields listed in the BadRequest details.");
        }
        var id = request.ImportId;
        var version = await analytics.ImportVersionAsync(id, context.CancellationToken) ?? throw GrpcErrors.ImportNotFound(id);
        var today = time.UtcToday();
        var key = ("grpc-demand", id, version, string.Join(',', by.Select(Demand.KeyName)),
            by.Contains(DemandKey.AgeGroup) ? string.Join(',', ageGroups.Select(g => g.Label)) + "@" + today.DayNumber : "");
        var bytes = await cache.GetOrAddAsync(key, async () =>
            DemandMessage(by, Demand.Cells(await analytics.ReadPeopleAsync(id, version, context.CancellationToken), by, ageGroups, today)).ToByteArray());
        return Proto.GetDemandResponse.Parser.ParseFrom(bytes);
    }

    private static Proto.BuyerCourses[] BuyersMessage(IEnumerable<BuyerCourses> buyers) =>
        [.. buyers.Select(b => new Proto.BuyerCourses { CitizenId = b.CitizenId, Courses = b.Courses })];

    public static Proto.GetCoursesResponse CoursesMessage(Dictionary<string, BuyerCourses[]> byChannel)
    {
        var message = new Proto.GetCoursesResponse();
        foreach (var (channel, buyers) in byChannel.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            message.Channels.Add(new Proto.ChannelCourses { Channel = channel, Buyers = { BuyersMessage(buyers) } });
        }
        return message;
    }

    public static Proto.GetCoursesResponse CoursesByMonthMessage(Dictionary<string, Dictionary<string, BuyerCourses[]>> byChannel)
    {
        var message = new Proto.GetCoursesResponse();
        foreach (var (channel, months) in byChannel.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var entry = new Proto.ChannelCourses { Channel = channel };
            for (var month = 1; month <= 12; month++)
            {
                var buyers = months.TryGetValue(month.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) ? found : [];
                entry.Months.Add(new Proto.MonthCourses { Month = month, Buyers = { BuyersMessage(buyers) } });
            }
            message.Channels.Add(entry);
        }
        return message;
    }

    public static Proto.GetDemandResponse DemandMessage(IReadOnlyList<DemandKey> by, IEnumerable<DemandRow> rows)
    {
        var message = new Proto.GetDemandResponse { By = { by.Select(Demand.KeyName) } };
        foreach (var row in rows)
        {
            var cell = new Proto.DemandRow { Citizens = row.Citizens, Courses = row.Courses };
            if (by.Contains(DemandKey.Town) && row.Town is { } town)
            {
                cell.Town = town;
            }
            if (by.Contains(DemandKey.AgeGroup) && row.AgeGroup is { } group)
            {
                cell.AgeGroup = group.Label;
            }
            if (by.Contains(DemandKey.Channel) && row.Channel is { } channel)
            {
                cell.Channel = channel;
            }
            message.Rows.Add(cell);
        }
        return message;
    }

    public static Proto.GetBirthdaysResponse BirthdaysMessage(Dictionary<string, BuyerPresents[]> byMonth)
    {
        var message = new Proto.GetBirthdaysResponse();
        for (var month = 1; month <= 12; month++)
        {
            var entry = new Proto.MonthPresents { Month = month };
            if (byMonth.TryGetValue(month.ToString(System.Globalization.CultureInfo.InvariantCulture), out var buyers))
            {
                entry.Buyers.AddRange(buyers.Select(b => new Proto.BuyerPresents { CitizenId = b.CitizenId, Presents = b.Presents }));
            }
            message.Months.Add(entry);
        }
        return message;
    }

    /// <summary>The double nearest the decimal as REST writes it (a cast may miss it by one unit in the last place).</summary>
    private static double ToDouble(decimal value) =>
        double.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    public static Proto.GetAgePercentilesResponse PercentilesMessage(IEnumerable<TownAgePercentiles> towns)
    {
        var message = new Proto.GetAgePercentilesResponse();
        message.Towns.AddRange(towns.Select(t => new Proto.TownAgePercentiles
        {
            Town = t.Town,
            P50 = ToDouble(t.P50),
            P75 = ToDouble(t.P75),
            P99 = ToDouble(t.P99),
        }));
        return message;
    }
}
