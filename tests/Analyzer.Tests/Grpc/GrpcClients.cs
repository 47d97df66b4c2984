using System.Globalization;
using System.Text.Json.Nodes;
using Analyzer.Grpc.V1;
using Analyzer.Tests.Infrastructure;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcStatusCode = Grpc.Core.StatusCode;
using AnalyzerClient = Analyzer.Grpc.V1.Analyzer.AnalyzerClient;

namespace Analyzer.Tests.Grpc;

/// <summary>gRPC clients of a service under test, and conversions between the REST JSON of the tests and the messages.</summary>
public static class GrpcClients
{
    /// <summary>A channel to the in-memory service (TestServer speaks HTTP/2 to its own handler).</summary>
    public static GrpcChannel Channel(AnalyzerApp app, string? token = null)
    {
        var options = new GrpcChannelOptions { HttpHandler = app.Server.CreateHandler(), MaxReceiveMessageSize = null };
        if (token is not null)
        {
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            }));
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }
        return GrpcChannel.ForAddress(app.Server.BaseAddress, options);
    }

    public static AnalyzerClient Client(AnalyzerApp app, string? token = null) => new(Channel(app, token));

    /// <summary>The citizen of a REST import body as a message: every key present is a field set.</summary>
    public static ImportCitizen ToMessage(JsonObject citizen)
    {
        var message = new ImportCitizen();
        foreach (var (key, value) in citizen)
        {
            switch (key)
            {
                case "citizen_id": message.CitizenId = (int)value!; break;
                case "town": message.Town = (string)value!; break;
                case "street": message.Street = (string)value!; break;
                case "building": message.Building = (string)value!; break;
                case "apartment": message.Apartment = (int)value!; break;
                case "name": message.Name = (string)value!; break;
                case "birth_date": message.BirthDate = (string)value!; break;
                case "gender": message.Gender = (string)value! == "male" ? Gender.Male : Gender.Female; break;
                case "relatives": message.Relatives.AddRange(value!.AsArray().Select(id => (int)id!)); break;
                case "friends": message.Friends = new CitizenIds { Ids = { value!.AsArray().Select(id => (int)id!) } }; break;
                case "channel" when value is not null: message.Channel = (string)value!; break;
                case "channel": break; // null: no channel
                default: throw new ArgumentException($"no field for {key}");
            }
        }
        return message;
    }

    /// <summary>A citizen message as the REST API writes the citizen (same keys, same order).</summary>
    public static JsonObject ToJson(Citizen citizen)
    {
        var json = new JsonObject
        {
            ["citizen_id"] = citizen.CitizenId,
            ["town"] = citizen.Town,
            ["street"] = citizen.Street,
            ["building"] = citizen.Building,
            ["apartment"] = citizen.Apartment,
            ["name"] = citizen.Name,
            ["birth_date"] = citizen.BirthDate,
            ["gender"] = citizen.Gender == Gender.Male ? "male" : "female",
            ["relatives"] = new JsonArray([.. citizen.Relatives.Select(id => (JsonNode)id)]),
        };
        if (citizen.Friends is { } friends)
        {
            json["friends"] = new JsonArray([.. friends.Ids.Select(id => (JsonNode)id)]);
            json["channel"] = citizen.HasChannel ? citizen.Channel : null;
        }
        return json;
    }

    /// <summary>Sends the citizens in batches of <paramref name="batchSize"/>.</summary>
    public static async Task<long> ImportAsync(this AnalyzerClient client, IEnumerable<ImportCitizen> citizens, int batchSize = 1000, Metadata? headers = null)
    {
        using var call = client.ImportCitizens(headers);
        foreach (var batch in citizens.Chunk(batchSize))
        {
            await call.RequestStream.WriteAsync(new ImportCitizensRequest { Citizens = { batch } });
        }
        await call.RequestStream.CompleteAsync();
        return (await call.ResponseAsync).ImportId;
    }

    public static Task<long> ImportAsync(this AnalyzerClient client, JsonObject body, int batchSize = 1000) =>
        client.ImportAsync(body["citizens"]!.AsArray().Select(c => ToMessage(c!.AsObject())), batchSize);

    /// <summary>Every citizen of the import, by id, as REST JSON.</summary>
    public static async Task<SortedDictionary<int, JsonObject>> ListAsync(this AnalyzerClient client, long importId)
    {
        using var call = client.ListCitizens(new ListCitizensRequest { ImportId = importId });
        var citizens = new SortedDictionary<int, JsonObject>();
        await foreach (var batch in call.ResponseStream.ReadAllAsync())
        {
            Assert.InRange(batch.Citizens.Count, 1, 1000);
            foreach (var citizen in batch.Citizens)
            {
                citizens.Add(citizen.CitizenId, ToJson(citizen));
            }
        }
        return citizens;
    }

    /// <summary>The INVALID_ARGUMENT's field violations as the REST answer's errors map.</summary>
    public static SortedDictionary<string, string[]> Violations(RpcException e)
    {
        Assert.Equal(GrpcStatusCode.InvalidArgument, e.StatusCode);
        var badRequest = e.GetRpcStatus()?.GetDetail<BadRequest>() ?? throw new Xunit.Sdk.XunitException($"no BadRequest in {e}");
        return new SortedDictionary<string, string[]>(
            badRequest.FieldViolations.GroupBy(v => v.Field).ToDictionary(g => g.Key, g => g.Select(v => v.Description).ToArray()), StringComparer.Ordinal);
    }

    /// <summary>A REST problem's errors map.</summary>
    public static SortedDictionary<string, string[]> Errors(System.Text.Json.JsonElement problem) =>
        new(problem.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(m => m.GetString()!).ToArray()),
            StringComparer.Ordinal);

    /// <summary>The REST birthdays answer's data in the message's shape: months 1 to 12 in order.</summary>
    public static GetBirthdaysResponse BirthdaysOf(System.Text.Json.JsonElement data)
    {
        var message = new GetBirthdaysResponse();
        for (var month = 1; month <= 12; month++)
        {
            var entry = new MonthPresents { Month = month };
            foreach (var buyer in data.GetProperty(month.ToString(CultureInfo.InvariantCulture)).EnumerateArray())
            {
                entry.Buyers.Add(new BuyerPresents { CitizenId = buyer.GetProperty("citizen_id").GetInt32(), Presents = buyer.GetProperty("presents").GetInt32() });
            }
            message.Months.Add(entry);
        }
        return message;
    }

    /// <summary>The REST courses answer's data (by channel, or by channel and month) in the message's shape.</summary>
    public static GetCoursesResponse CoursesOf(System.Text.Json.JsonElement data)
    {
        static IEnumerable<BuyerCourses> Buyers(System.Text.Json.JsonElement buyers) => buyers.EnumerateArray().Select(b =>
            new BuyerCourses { CitizenId = b.GetProperty("citizen_id").GetInt32(), Courses = b.GetProperty("courses").GetInt32() });
        var message = new GetCoursesResponse();
        foreach (var channel in data.EnumerateObject())
        {
            var entry = new ChannelCourses { Channel = channel.Name };
            if (channel.Value.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                entry.Buyers.AddRange(Buyers(channel.Value));
            }
            else
            {
                entry.Months.AddRange(channel.Value.EnumerateObject().Select(m => new MonthCourses
                {
                    Month = int.Parse(m.Name, CultureInfo.InvariantCulture),
                    Buyers = { Buyers(m.Value) },
                }));
            }
            message.Channels.Add(entry);
        }
        return message;
    }

    /// <summary>The REST demand answer's rows in the message's shape: the keys are those of its rows.</summary>
    public static GetDemandResponse DemandOf(System.Text.Json.JsonElement data)
    {
        var message = new GetDemandResponse();
        foreach (var row in data.EnumerateArray())
        {
            var cell = new DemandRow { Citizens = row.GetProperty("citizens").GetInt32(), Courses = row.GetProperty("courses").GetInt64() };
            var keys = new List<string>();
            foreach (var property in row.EnumerateObject().Where(p => p.Name is not ("citizens" or "courses")))
            {
                keys.Add(property.Name);
                var value = property.Value.ValueKind == System.Text.Json.JsonValueKind.Null ? null : property.Value.GetString();
                switch (property.Name)
                {
                    case "town": cell.Town = value!; break;
                    case "age_group": cell.AgeGroup = value!; break;
                    case "channel" when value is not null: cell.Channel = value; break;
                    case "channel": break;
                    default: throw new ArgumentException(property.Name);
                }
            }
            if (message.By.Count == 0)
            {
                message.By.AddRange(keys);
            }
            message.Rows.Add(cell);
        }
        return message;
    }

    public static GetAgePercentilesResponse PercentilesOf(System.Text.Json.JsonElement data)
    {
        var message = new GetAgePercentilesResponse();
        foreach (var town in data.EnumerateArray())
        {
            message.Towns.Add(new TownAgePercentiles
            {
                Town = town.GetProperty("town").GetString(),
                P50 = town.GetProperty("p50").GetDouble(),
                P75 = town.GetProperty("p75").GetDouble(),
                P99 = town.GetProperty("p99").GetDouble(),
            });
        }
        return message;
    }
}
