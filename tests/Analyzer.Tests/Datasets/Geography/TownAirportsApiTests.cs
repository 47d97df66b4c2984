using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Docs;
using Analyzer.Datasets.Geography;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Datasets.Geography;

public sealed class SqliteTownAirportsApiTests(SqliteApp app) : TownAirportsApiTests<SqliteApp>(app);

public sealed class PostgresFallbackTownAirportsApiTests(PostgresFallbackApp app) : TownAirportsApiTests<PostgresFallbackApp>(app), IPostgresTests;

public sealed class PostGisTownAirportsApiTests(PostgresApp app) : TownAirportsApiTests<PostgresApp>(app), IPostGisTests;

/// <summary>GET /imports/{id}/towns/airports: the seed's question 3, against a reference computed from the rows the service returns.</summary>
public abstract class TownAirportsApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    private const string AirportColumns = "airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source";

    private static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    private async Task UploadAsync(string query, byte[] csv)
    {
        var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await client.PostAsync("/datasets?" + query, content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> GetDataAsync(string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body.GetProperty("data");
    }

    private async Task<string> UploadAirportsAsync()
    {
        var name = Unique("airports");
        await UploadAsync($"name={name}&header=false&columns={AirportColumns}&null=%5CN",
            File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Datasets", "data", "airports.dat")));
        return name;
    }

    private Task<long> ImportAsync()
    {
        var body = Import(
            Citizen(1, town: "San Francisco"), Citizen(2, town: "San Francisco"), Citizen(3, town: "OAKLAND"),
            Citizen(4, town: "Atlantis"), Citizen(5, town: "Moscow"));
        body["citizens"]![0]!["channel"] = "instagram"; // the others have none
        return client.CreateImportAsync(body);
    }

    [BackendFact]
    public async Task Each_town_gets_its_location_and_the_airports_within_the_radius_nearest_first()
    {
        var dataset = await UploadAirportsAsync();
        var importId = await ImportAsync();
        var rows = (await GetDataAsync($"/datasets/{dataset}/rows?limit=10000")).EnumerateArray()
            .Select(r => (Id: r.GetProperty("id").GetInt64(), City: r.GetProperty("city").GetString()!, Iata: r.GetProperty("iata").GetString(),
                Lat: r.GetProperty("latitude").GetDouble(), Lon: r.GetProperty("longitude").GetDouble())).ToArray();

        var towns = (await GetDataAsync($"/imports/{importId}/towns/airports?dataset={dataset}&within_km=100")).EnumerateArray().ToArray();
        Assert.Equal(["Atlantis", "Moscow", "OAKLAND", "San Francisco"], towns.Select(t => t.GetProperty("town").GetString()));
        Assert.Equal([1, 1, 1, 2], towns.Select(t => t.GetProperty("citizens").GetInt32()));
        Assert.Equal("""{"":1,"instagram":1}""", towns[3].GetProperty("channels").GetRawText());
        Assert.Equal("""{"":1}""", towns[0].GetProperty("channels").GetRawText());
        Assert.Equal(JsonValueKind.Null, towns[0].GetProperty("location").ValueKind);
        Assert.Empty(towns[0].GetProperty("airports").EnumerateArray());
        foreach (var town in towns.Skip(1))
        {
            var name = town.GetProperty("town").GetString()!;
            var matches = rows.Where(r => r.City.Equals(name, StringComparison.OrdinalIgnoreCase)).ToArray();
            Assert.NotEmpty(matches);
            var (lat, lon) = (matches.Average(m => m.Lat), matches.Average(m => m.Lon));
            Assert.Equal(lat, town.GetProperty("location").GetProperty("lat").GetDouble(), 9);
            Assert.Equal(lon, town.GetProperty("location").GetProperty("lon").GetDouble(), 9);
            var expected = rows.Select(r => (r.Id, Meters: Sphere.Meters(lat, lon, r.Lat, r.Lon))).Where(r => r.Meters <= 100_000)
                .OrderBy(r => r.Meters).ThenBy(r => r.Id).ToArray();
            var airports = town.GetProperty("airports").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(e => e.Id), airports.Select(a => a.GetProperty("id").GetInt64()));
            foreach (var (airport, (_, meters)) in airports.Zip(expected))
            {
                Assert.InRange(airport.GetProperty("distance_km").GetDouble() * 1000 - meters, -1, 1);
            }
        }
        var sanFrancisco = towns[3].GetProperty("airports").EnumerateArray().Select(a => a.GetProperty("iata").GetString()).ToArray();
        Assert.Contains("SFO", sanFrancisco);
        Assert.Contains("OAK", sanFrancisco);
        Assert.Contains("SVO", towns[1].GetProperty("airports").EnumerateArray().Select(a => a.GetProperty("iata").GetString()));

        // Turned around: SFO serves the citizens of San Francisco and Oakland; Sheremetyevo the one of Moscow.
        var byAirport = (await GetDataAsync($"/imports/{importId}/towns/airports?dataset={dataset}&within_km=100&by=airport")).EnumerateArray().ToArray();
        var sfo = byAirport.Single(a => a.GetProperty("iata").GetString() == "SFO");
        Assert.Equal(3, sfo.GetProperty("citizens").GetInt32());
        Assert.Equal([1, 2, 3], sfo.GetProperty("citizen_ids").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(["San Francisco", "OAKLAND"], sfo.GetProperty("towns").EnumerateArray().Select(t => t.GetProperty("town").GetString()));
        var svo = byAirport.Single(a => a.GetProperty("iata").GetString() == "SVO");
        Assert.Equal([5], svo.GetProperty("citizen_ids").EnumerateArray().Select(c => c.GetInt32()));
        var counts = byAirport.Select(a => a.GetProperty("citizens").GetInt32()).ToArray();
        Assert.Equal(counts.OrderDescending(), counts);
        // Every airport of a town's list appears once by airport, and nothing else does.
        Assert.Equal(towns.SelectMany(t => t.GetProperty("airports").EnumerateArray()).Select(a => a.GetProperty("id").GetInt64()).Distinct().Order(),
            byAirport.Select(a => a.GetProperty("id").GetInt64()).Order());
    }

    [BackendFact]
    public async Task The_documented_examples_are_the_answers_and_every_answer_fits_its_schema()
    {
        var dataset = await UploadAirportsAsync();
        var importId = await client.CreateImportAsync(JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "bay-import.json")))!);
        var document = await ApiDocument.LoadAsync(client);
        const string path = "/imports/{import_id}/towns/airports";
        using (var byTown = await client.GetAsync($"/imports/{importId}/towns/airports?dataset={dataset}&within_km=20"))
        {
            await document.AssertDocumentedAsync(byTown, path);
            var answer = JsonNode.Parse(await byTown.Content.ReadAsStringAsync())!;
            Assert.True(SameAnswer(GeographyExamples.TownAirports(), answer), answer.ToJsonString());
        }
        using (var byAirport = await client.GetAsync($"/imports/{importId}/towns/airports?dataset={dataset}&within_km=20&by=airport"))
        {
            await document.AssertDocumentedAsync(byAirport, path);
            var answer = JsonNode.Parse(await byAirport.Content.ReadAsStringAsync())!;
            Assert.True(SameAnswer(GeographyExamples.AirportTowns(), answer), answer.ToJsonString());
        }
        using (var refused = await client.GetAsync($"/imports/{importId}/towns/airports?dataset={dataset}"))
        {
            await document.AssertDocumentedAsync(refused, path);
        }
        using (var missing = await client.GetAsync($"/imports/{importId + 100}/towns/airports?dataset={dataset}&within_km=1"))
        {
            await document.AssertDocumentedAsync(missing, path);
        }
        using (var nearby = await client.GetAsync($"/datasets/{dataset}/rows/1/nearby?within_km=100"))
        {
            await document.AssertDocumentedAsync(nearby, "/datasets/{name}/rows/{id}/nearby");
        }
        using (var near = await client.GetAsync($"/datasets/{dataset}/rows?near=37.773972,-122.43129&within_km=20&limit=2"))
        {
            await document.AssertDocumentedAsync(near, "/datasets/{name}/rows");
        }
        using (var catalog = await client.GetAsync($"/datasets/{dataset}"))
        {
            await document.AssertDocumentedAsync(catalog, "/datasets/{name}");
        }
    }

    /// <summary>Equal JSON, except that distances (written to the millimetre) may differ by a metre between the paths.</summary>
    private static bool SameAnswer(JsonNode? expected, JsonNode? actual, string? key = null) => (expected, actual) switch
    {
        (JsonObject e, JsonObject a) => e.Count == a.Count && e.All(p => a.ContainsKey(p.Key) && SameAnswer(p.Value, a[p.Key], p.Key)),
        (JsonArray e, JsonArray a) => e.Count == a.Count && e.Zip(a).All(p => SameAnswer(p.First, p.Second)),
        (JsonValue e, JsonValue a) when key == "distance_km" => Math.Abs(e.GetValue<double>() - a.GetValue<double>()) <= 0.001,
        _ => JsonNode.DeepEquals(expected, actual),
    };

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Analyzer.slnx")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException("no Analyzer.slnx above the test assembly");
    }

    [BackendFact]
    public async Task Towns_match_cities_ignoring_case_beyond_ASCII()
    {
        var dataset = Unique("places");
        await UploadAsync($"name={dataset}", Encoding.UTF8.GetBytes("city,lat,lon,iata,name\nмосква,55.75,37.61,AAA,Центр\nМОСКВА,55.85,37.71,BBB,Север\nКерчь,45.35,36.47,,\n"));
        var importId = await client.CreateImportAsync(Import(Citizen(1, town: "Москва"), Citizen(2, town: "Керчь")));
        var towns = (await GetDataAsync($"/imports/{importId}/towns/airports?dataset={dataset}&within_km=20")).EnumerateArray().ToArray();
        Assert.Equal(["Керчь", "Москва"], towns.Select(t => t.GetProperty("town").GetString()));
        Assert.Equal(55.8, towns[1].GetProperty("location").GetProperty("lat").GetDouble(), 9);
        Assert.Equal(["AAA", "BBB"], towns[1].GetProperty("airports").EnumerateArray().Select(a => a.GetProperty("iata").GetString()).Order());
        Assert.Equal(JsonValueKind.Null, towns[0].GetProperty("airports")[0].GetProperty("iata").ValueKind);
    }

    [BackendFact]
    public async Task Unknown_imports_and_datasets_are_404_and_bad_parameters_400()
    {
        var airports = Unique("airports");
        await UploadAsync($"name={airports}", Encoding.UTF8.GetBytes("city,latitude,longitude\nOslo,59.9,10.7\n"));
        var noCity = Unique("nocity");
        await UploadAsync($"name={noCity}", Encoding.UTF8.GetBytes("location,latitude,longitude\nOslo,59.9,10.7\n"));
        var plain = Unique("plain");
        await UploadAsync($"name={plain}", Encoding.UTF8.GetBytes("city,population\nOslo,700000\n"));
        var importId = await client.CreateImportAsync(Import(Citizen(1, town: "Oslo")));

        async Task Refused(string query, HttpStatusCode status, string? parameter = null)
        {
            using var response = await client.GetAsync(query);
            var problem = await response.AssertProblemAsync(status);
            if (parameter is not null)
            {
                Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"{query}: {problem}");
            }
        }
        await Refused($"/imports/{importId + 1000}/towns/airports?dataset={airports}&within_km=10", HttpStatusCode.NotFound);
        await Refused($"/imports/{importId}/towns/airports?dataset={Unique("none")}&within_km=10", HttpStatusCode.NotFound);
        await Refused($"/imports/{importId}/towns/airports?within_km=10", HttpStatusCode.BadRequest, "dataset");
        await Refused($"/imports/{importId}/towns/airports?dataset={plain}&within_km=10", HttpStatusCode.BadRequest, "dataset");
        await Refused($"/imports/{importId}/towns/airports?dataset={noCity}&within_km=10", HttpStatusCode.BadRequest, "dataset");
        await Refused($"/imports/{importId}/towns/airports?dataset={airports}", HttpStatusCode.BadRequest, "within_km");
        await Refused($"/imports/{importId}/towns/airports?dataset={airports}&within_km=-1", HttpStatusCode.BadRequest, "within_km");
        await Refused($"/imports/{importId}/towns/airports?dataset={airports}&within_km=NaN", HttpStatusCode.BadRequest, "within_km");
        await Refused($"/imports/{importId}/towns/airports?dataset={airports}&within_km=10&by=country", HttpStatusCode.BadRequest, "by");

        var oslo = (await GetDataAsync($"/imports/{importId}/towns/airports?dataset={airports}&within_km=0")).EnumerateArray().Single();
        Assert.Equal(0, oslo.GetProperty("airports")[0].GetProperty("distance_km").GetDouble());
        Assert.Equal(JsonValueKind.Null, oslo.GetProperty("airports")[0].GetProperty("iata").ValueKind);
    }
}
