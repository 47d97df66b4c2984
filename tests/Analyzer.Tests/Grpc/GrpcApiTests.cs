using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Grpc.V1;
using Analyzer.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1;
using static Analyzer.Tests.Infrastructure.Citizens;
using AnalyzerClient = Analyzer.Grpc.V1.Analyzer.AnalyzerClient;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Analyzer.Tests.Grpc;

public sealed class SqliteGrpcApiTests(SqliteApp app) : GrpcApiTests<SqliteApp>(app);

public sealed class PostgresGrpcApiTests(PostgresApp app) : GrpcApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>The gRPC API against the REST API on the same service: same data, same validation, same answers.</summary>
public abstract class GrpcApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient rest = app.CreateClient();
    private readonly AnalyzerClient grpc = GrpcClients.Client(app);

    private static int[] Relatives(JsonObject citizen) => [.. citizen["relatives"]!.AsArray().Select(r => r!.GetValue<int>())];

    [BackendFact]
    public async Task Import_in_streamed_batches_then_ListCitizens_equals_the_REST_GET()
    {
        var body = Random(2500, 1200, seed: 10, app.Clock.Today);
        var importId = await grpc.ImportAsync(body, batchSize: 700);

        var listed = await grpc.ListAsync(importId);
        var expected = await rest.GetCitizensAsync(importId);
        Assert.Equal(2500, listed.Count);
        Assert.Equal(expected.Keys, listed.Keys);
        foreach (var (id, citizen) in expected)
        {
            Assert.Equal(citizen.ToJsonString(), listed[id].ToJsonString());
        }
        // And what was sent is what is stored.
        var sent = body["citizens"]!.AsArray().ToDictionary(c => (int)c!["citizen_id"]!, c => c!.AsObject());
        Assert.Equal(sent[7].ToJsonString(), listed[7].ToJsonString());
    }

    [BackendFact]
    public async Task An_import_with_friends_and_channels_round_trips_and_an_empty_stream_is_refused_like_an_empty_list()
    {
        var first = Citizen(1, [2]);
        first["friends"] = new JsonArray(2);
        first["channel"] = "tv";
        var second = Citizen(2, [1]);
        second["friends"] = new JsonArray(1);
        var importId = await grpc.ImportAsync(Import(first, second, Citizen(3)));

        var listed = await grpc.ListAsync(importId);
        var expected = await rest.GetCitizensAsync(importId);
        Assert.Equal(expected.Values.Select(c => c.ToJsonString()), listed.Values.Select(c => c.ToJsonString()));
        Assert.Equal("tv", (string?)listed[1]["channel"]);
        Assert.Null(listed[2]["channel"]);
        Assert.Equal("[]", listed[3]["friends"]!.ToJsonString());

        // No batch at all is the REST body {"citizens": []}: the same answer either way.
        using var emptyRest = await rest.PostJsonAsync("/imports", """{"citizens": []}""");
        var emptyIsValid = emptyRest.StatusCode == HttpStatusCode.Created;
        var emptyGrpc = await Record.ExceptionAsync(() => grpc.ImportAsync(Array.Empty<ImportCitizen>()));
        Assert.Equal(emptyIsValid, emptyGrpc is null);
    }

    /// <summary>A broken import, once as REST JSON and once as messages (built apart, not from each other), and the path it must name.</summary>
    public static TheoryData<string, string> BadImports() => new()
    {
        { "missing town", "citizens[0].town" },
        { "empty name", "citizens[0].name" },
        { "impossible birth date", "citizens[0].birth_date" },
        { "birth date tomorrow", "citizens[0].birth_date" },
        { "no gender", "citizens[0].gender" },
        { "negative apartment", "citizens[0].apartment" },
        { "town without letters", "citizens[0].town" },
        { "relation not mutual", "citizens[2].relatives" },
        { "relative not in the import", "citizens[1].relatives" },
        { "relative listed twice", "citizens[0].relatives" },
        { "duplicate id in the second batch", "citizens[3].citizen_id" },
        { "channel without letters", "citizens[0].channel" },
        { "friendship not mutual", "citizens[0].friends" },
    };

    private static (JsonObject Json, List<ImportCitizen> Messages) BadImport(string rule)
    {
        JsonObject[] json = [Citizen(1, [2]), Citizen(2, [1]), Citizen(3), Citizen(4)];
        var messages = json.Select(GrpcClients.ToMessage).ToList();
        switch (rule)
        {
            case "missing town": json[0].Remove("town"); messages[0].ClearTown(); break;
            case "empty name": json[0]["name"] = ""; messages[0].Name = ""; break;
            case "impossible birth date": json[0]["birth_date"] = "31.02.2019"; messages[0].BirthDate = "31.02.2019"; break;
            case "birth date tomorrow": json[0]["birth_date"] = "22.11.2026"; messages[0].BirthDate = "22.11.2026"; break;
            case "no gender": json[0].Remove("gender"); messages[0].Gender = Gender.Unspecified; break;
            case "negative apartment": json[0]["apartment"] = -7; messages[0].Apartment = -7; break;
            case "town without letters": json[0]["town"] = "-- ."; messages[0].Town = "-- ."; break;
            case "relation not mutual": json[2]["relatives"] = new JsonArray(1); messages[2].Relatives.Add(1); break;
            case "relative not in the import":
                json[1]["relatives"] = new JsonArray(1, 99);
                messages[1].Relatives.Add(99);
                break;
            case "relative listed twice": json[0]["relatives"] = new JsonArray(2, 2); messages[0].Relatives.Add(2); break;
            case "duplicate id in the second batch": json[3]["citizen_id"] = 1; messages[3].CitizenId = 1; break;
            case "channel without letters": json[0]["channel"] = "!!!"; messages[0].Channel = "!!!"; break;
            case "friendship not mutual":
                json[0]["friends"] = new JsonArray(3);
                json[2]["friends"] = new JsonArray();
                messages[0].Friends = new CitizenIds { Ids = { 3 } };
                messages[2].Friends = new CitizenIds();
                break;
            default: throw new ArgumentException(rule);
        }
        return (Import(json), messages);
    }

    [BackendTheory]
    [MemberData(nameof(BadImports))]
    public async Task A_bad_import_is_INVALID_ARGUMENT_with_the_field_violations_of_the_REST_errors(string rule, string path)
    {
        var (json, messages) = BadImport(rule);
        using var response = await rest.PostJsonAsync("/imports", json.ToJsonString());
        var restErrors = GrpcClients.Errors(await response.AssertProblemAsync(HttpStatusCode.BadRequest));

        var e = await Assert.ThrowsAsync<RpcException>(() => grpc.ImportAsync(messages, batchSize: 3));
        var violations = GrpcClients.Violations(e);

        Assert.Contains(path, violations.Keys);
        Assert.Equal(restErrors, violations);
    }

    [BackendFact]
    public async Task PatchCitizen_mirrors_relatives_and_friends_and_tells_clearing_the_channel_from_leaving_it()
    {
        var importId = await grpc.ImportAsync(ContractExample());

        var patched = await grpc.PatchCitizenAsync(new PatchCitizenRequest
        {
            ImportId = importId,
            CitizenId = 3,
            Name = "Иванова Мария Леонидовна",
            Town = "Москва",
            Relatives = new CitizenIds { Ids = { 1 } },
        });
        Assert.Equal("Иванова Мария Леонидовна", patched.Citizen.Name);
        Assert.Equal([1], patched.Citizen.Relatives);
        var citizens = await grpc.ListAsync(importId);
        Assert.Equal((await rest.GetCitizensAsync(importId)).Values.Select(c => c.ToJsonString()), citizens.Values.Select(c => c.ToJsonString()));
        Assert.Equal([2, 3], Relatives(citizens[1]));

        // An empty list clears; an absent one leaves the list alone.
        await grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 3, Relatives = new CitizenIds() });
        citizens = await grpc.ListAsync(importId);
        Assert.Equal([2], Relatives(citizens[1]));
        Assert.Empty(Relatives(citizens[3]));

        // Friends and a channel give the import both; channel unset in its ChannelChange clears it; no ChannelChange leaves it.
        patched = await grpc.PatchCitizenAsync(new PatchCitizenRequest
        {
            ImportId = importId, CitizenId = 2, Friends = new CitizenIds { Ids = { 1 } }, Channel = new ChannelChange { Channel = "radio" },
        });
        Assert.Equal("radio", patched.Citizen.Channel);
        citizens = await grpc.ListAsync(importId);
        Assert.Equal("[2]", citizens[1]["friends"]!.ToJsonString());
        Assert.Equal("[]", citizens[3]["friends"]!.ToJsonString());

        patched = await grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 2, Apartment = 9 });
        Assert.Equal("radio", patched.Citizen.Channel);
        patched = await grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 2, Channel = new ChannelChange() });
        Assert.False(patched.Citizen.HasChannel);
        Assert.Equal([1], patched.Citizen.Friends.Ids);
        Assert.Equal(9, patched.Citizen.Apartment);
        Assert.Equal((await rest.GetCitizensAsync(importId)).Values.Select(c => c.ToJsonString()), (await grpc.ListAsync(importId)).Values.Select(c => c.ToJsonString()));
    }

    [BackendFact]
    public async Task A_bad_patch_is_INVALID_ARGUMENT_with_REST_paths_and_an_unknown_citizen_or_import_is_NOT_FOUND()
    {
        var importId = await grpc.ImportAsync(ContractExample());

        async Task<SortedDictionary<string, string[]>> Refused(PatchCitizenRequest request, string json)
        {
            using var response = await rest.PatchJsonAsync($"/imports/{request.ImportId}/citizens/{request.CitizenId}", json);
            var restErrors = GrpcClients.Errors(await response.AssertProblemAsync(HttpStatusCode.BadRequest));
            var violations = GrpcClients.Violations(await Assert.ThrowsAsync<RpcException>(() => grpc.PatchCitizenAsync(request).ResponseAsync));
            Assert.Equal(restErrors, violations);
            return violations;
        }

        Assert.Contains("town", (await Refused(new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Town = "" }, """{"town": ""}""")).Keys);
        Assert.Contains("$", (await Refused(new PatchCitizenRequest { ImportId = importId, CitizenId = 1 }, "{}")).Keys);
        Assert.Contains("relatives", (await Refused(
            new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Relatives = new CitizenIds { Ids = { 99 } } }, """{"relatives": [99]}""")).Keys);
        Assert.Contains("birth_date", (await Refused(
            new PatchCitizenRequest { ImportId = importId, CitizenId = 1, BirthDate = "1986-12-26" }, """{"birth_date": "1986-12-26"}""")).Keys);
        Assert.Contains("gender", (await Refused(
            new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Gender = Gender.Unspecified }, """{"gender": "GENDER_UNSPECIFIED"}""")).Keys);

        var unknownCitizen = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 42, Name = "Ann" }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, unknownCitizen.StatusCode);
        var unknownImport = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId + 1000, CitizenId = 1, Name = "Ann" }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, unknownImport.StatusCode);
        // Nothing changed.
        Assert.Equal("Иванов Иван Иванович", (string?)(await grpc.ListAsync(importId))[1]["name"]);
    }

    [BackendFact]
    public async Task Birthdays_and_percentiles_equal_the_REST_answers_before_and_after_a_patch()
    {
        var importId = await grpc.ImportAsync(Random(600, 400, seed: 11, app.Clock.Today), batchSize: 250);
        for (var round = 0; round < 2; round++)
        {
            var birthdays = await grpc.GetBirthdaysAsync(new GetBirthdaysRequest { ImportId = importId });
            using (var response = await rest.GetAsync($"/imports/{importId}/citizens/birthdays"))
            {
                Assert.Equal(GrpcClients.BirthdaysOf((await response.ReadJsonAsync()).GetProperty("data")), birthdays);
            }
            Assert.Equal(Enumerable.Range(1, 12), birthdays.Months.Select(m => m.Month));
            Assert.Contains(birthdays.Months, m => m.Buyers.Count > 0);

            var percentiles = await grpc.GetAgePercentilesAsync(new GetAgePercentilesRequest { ImportId = importId });
            using (var response = await rest.GetAsync($"/imports/{importId}/towns/stat/percentile/age"))
            {
                Assert.Equal(GrpcClients.PercentilesOf((await response.ReadJsonAsync()).GetProperty("data")), percentiles);
            }
            Assert.NotEmpty(percentiles.Towns);

            await grpc.PatchCitizenAsync(new PatchCitizenRequest
            {
                ImportId = importId, CitizenId = 0, BirthDate = "01.01.1950", Town = "Новый город", Relatives = new CitizenIds { Ids = { 1, 2, 3 } },
            });
        }
    }

    /// <summary>An import with channels (one citizen without) and friends beside relatives.</summary>
    private async Task<long> ImportWithChannelsAsync()
    {
        var json = Random(300, 200, seed: 12, app.Clock.Today);
        var citizens = json["citizens"]!.AsArray().Select(c => c!.AsObject()).ToList();
        string?[] channels = ["instagram", "tv", "radio", null];
        for (var i = 0; i < citizens.Count; i++)
        {
            citizens[i]["friends"] = new JsonArray();
            citizens[i]["channel"] = channels[i % channels.Length];
        }
        for (var i = 0; i + 1 < citizens.Count; i += 3)
        {
            citizens[i]["friends"] = new JsonArray((int)citizens[i + 1]["citizen_id"]!);
            citizens[i + 1]["friends"] = new JsonArray((int)citizens[i]["citizen_id"]!);
        }
        return await grpc.ImportAsync(json, batchSize: 128);
    }

    [BackendFact]
    public async Task Courses_and_demand_equal_the_REST_answers()
    {
        var importId = await ImportWithChannelsAsync();
        async Task<System.Text.Json.JsonElement> Rest(string path)
        {
            using var response = await rest.GetAsync($"/imports/{importId}{path}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.ReadJsonAsync()).GetProperty("data").Clone();
        }

        var courses = await grpc.GetCoursesAsync(new GetCoursesRequest { ImportId = importId });
        Assert.Equal(GrpcClients.CoursesOf(await Rest("/citizens/courses")), courses);
        Assert.Equal(["", "instagram", "radio", "tv"], courses.Channels.Select(c => c.Channel));
        Assert.Contains(courses.Channels, c => c.Buyers.Count > 0);
        var byMonth = await grpc.GetCoursesAsync(new GetCoursesRequest { ImportId = importId, ByMonth = true });
        Assert.Equal(GrpcClients.CoursesOf(await Rest("/citizens/courses?by=channel,month")), byMonth);
        Assert.All(byMonth.Channels, c => Assert.Equal(Enumerable.Range(1, 12), c.Months.Select(m => m.Month)));

        foreach (var (by, ageGroups) in new (string?, string?)[] { (null, null), ("town", null), ("channel,age_group", "0-29,30-"), ("age_group", null) })
        {
            var request = new GetDemandRequest { ImportId = importId };
            var query = new List<string>();
            if (by is not null)
            {
                request.By = by;
                query.Add("by=" + by);
            }
            if (ageGroups is not null)
            {
                request.AgeGroups = ageGroups;
                query.Add("age_groups=" + ageGroups);
            }
            var demand = await grpc.GetDemandAsync(request);
            Assert.Equal(GrpcClients.DemandOf(await Rest("/stat/demand" + (query.Count > 0 ? "?" + string.Join('&', query) : ""))), demand);
            Assert.NotEmpty(demand.Rows);
        }
        Assert.Contains((await grpc.GetDemandAsync(new GetDemandRequest { ImportId = importId, By = "channel" })).Rows, r => !r.HasChannel);

        foreach (var (by, ageGroups) in new (string?, string?)[] { ("nope", null), ("", null), ("town,town", null), ("town", "0-17"), (null, "30-20") })
        {
            var request = new GetDemandRequest { ImportId = importId };
            var query = new List<string>();
            if (by is not null)
            {
                request.By = by;
                query.Add("by=" + by);
            }
            if (ageGroups is not null)
            {
                request.AgeGroups = ageGroups;
                query.Add("age_groups=" + ageGroups);
            }
            using var response = await rest.GetAsync($"/imports/{importId}/stat/demand?{string.Join('&', query)}");
            var restErrors = GrpcClients.Errors(await response.AssertProblemAsync(HttpStatusCode.BadRequest));
            var e = await Assert.ThrowsAsync<RpcException>(() => grpc.GetDemandAsync(request).ResponseAsync);
            Assert.Equal(restErrors, GrpcClients.Violations(e));
        }

        var unknown = await Assert.ThrowsAsync<RpcException>(() => grpc.GetCoursesAsync(new GetCoursesRequest { ImportId = importId + 1000 }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, unknown.StatusCode);
        unknown = await Assert.ThrowsAsync<RpcException>(() => grpc.GetDemandAsync(new GetDemandRequest { ImportId = importId + 1000 }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, unknown.StatusCode);
    }

    [BackendFact]
    public async Task An_unknown_import_is_NOT_FOUND_everywhere()
    {
        const long Unknown = 987654321;
        var list = await Assert.ThrowsAsync<RpcException>(() => grpc.ListAsync(Unknown));
        Assert.Equal(GrpcStatusCode.NotFound, list.StatusCode);
        Assert.Contains("import 987654321 does not exist", list.Status.Detail, StringComparison.Ordinal);
        var birthdays = await Assert.ThrowsAsync<RpcException>(() => grpc.GetBirthdaysAsync(new GetBirthdaysRequest { ImportId = Unknown }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, birthdays.StatusCode);
        var percentiles = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.GetAgePercentilesAsync(new GetAgePercentilesRequest { ImportId = -1 }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.NotFound, percentiles.StatusCode);
    }

    [BackendFact]
    public async Task Calls_carry_the_request_id_into_the_answer_and_the_access_log()
    {
        var importId = await grpc.ImportAsync(Import(Citizen(1)));
        using var call = grpc.GetBirthdaysAsync(new GetBirthdaysRequest { ImportId = importId }, new Metadata { { "x-request-id", "grpc-call-17" } });
        await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;
        Assert.Equal("grpc-call-17", headers.GetValue("x-request-id"));
        Assert.Contains(app.Logs.Entries, entry => entry.Category == "Analyzer.Access"
            && entry.Message.Contains("/analyzer.v1.Analyzer/GetBirthdays", StringComparison.Ordinal)
            && entry.Message.Contains("grpc-call-17", StringComparison.Ordinal));
    }

    [BackendFact]
    public async Task Health_checking_reports_the_database_and_reflection_lists_the_services()
    {
        var channel = GrpcClients.Channel(app);
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "analyzer.v1.Analyzer" })).Status);

        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "analyzer.v1.Analyzer" });
        await call.RequestStream.CompleteAsync();
        var answers = new List<ServerReflectionResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync())
        {
            answers.Add(answer);
        }
        var services = answers[0].ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("analyzer.v1.Analyzer", services);
        Assert.Contains("grpc.health.v1.Health", services);
        var file = Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(answers[1].FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal("analyzer/v1/analyzer.proto", file.Name);
        Assert.Contains(file.Service[0].Method, m => m.Name == "ImportCitizens" && m.ClientStreaming);
    }
}
