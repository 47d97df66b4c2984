using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Datasets.Geography;
using Analyzer.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Datasets.Geography;

public sealed class SqliteGeographyApiTests(SqliteApp app) : GeographyApiTests<SqliteApp>(app)
{
    protected override bool PostGis => false;
}

/// <summary>PostgreSQL without PostGIS: the fallback, forced with --postgis off.</summary>
public sealed class PostgresFallbackGeographyApiTests(PostgresFallbackApp app) : GeographyApiTests<PostgresFallbackApp>(app), IPostgresTests
{
    protected override bool PostGis => false;
}

/// <summary>PostgreSQL with PostGIS (skipped with the reason where the extension is not installed, unless ANALYZER_REQUIRE_PG=1).</summary>
public sealed class PostGisGeographyApiTests(PostgresApp app) : GeographyApiTests<PostgresApp>(app), IPostGisTests
{
    protected override bool PostGis => true;
}

public sealed class PostgresFallbackApp : PostgresApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:POSTGIS"] = "off" };
}

/// <summary>
/// Geographic datasets: coordinate columns, searches by distance (near=, nearby) against a C# reference of the same
/// sphere, and the coordinates' rules at upload and on row writes — on each path: PostGIS, and the fallback (SQLite,
/// PostgreSQL with --postgis off). Both paths agree with the one reference, so with each other.
/// </summary>
public abstract class GeographyApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private TApp App { get; } = app;

    protected HttpClient Client { get; } = app.CreateClient();

    /// <summary>Whether this back end's geographic tables are expected to use PostGIS.</summary>
    protected abstract bool PostGis { get; }

    /// <summary>The seed's own table.</summary>
    public const string Seed =
        "location,latitude,longitude\n" +
        "San Francisco,37.773972,-122.43129\n" +
        "Seattle,47.608013,-122.335167\n" +
        "Sacramento,38.575764,-121.478851\n" +
        "Oakland,37.804363,-122.271111\n" +
        "Los Angeles,34.052235,-118.243683\n" +
        "Alameda,37.7652,-122.2416\n" +
        "San Bruno,37.6305,-122.4111\n" +
        "San Rafael,37.9735,-122.5311\n";

    private const string AirportColumns = "airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source";

    private static byte[] Airports => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Datasets", "data", "airports.dat"));

    private async Task<HttpResponseMessage> UploadAsync(string query, byte[] csv)
    {
        var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        return await Client.PostAsync("/datasets?" + query, content);
    }

    private async Task<JsonElement> UploadOkAsync(string query, string csv)
    {
        using var response = await UploadAsync(query, Encoding.UTF8.GetBytes(csv));
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return body.GetProperty("data");
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    private async Task AssertRefusedAsync(string path, string parameter)
    {
        using var response = await Client.GetAsync(path);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"GET {path}: {problem}");
    }

    private static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    private async Task<string> UploadSeedAsync()
    {
        var name = Unique("seed");
        var data = await UploadOkAsync($"name={name}", Seed);
        Assert.Equal("latitude", data.GetProperty("geo").GetProperty("lat").GetString());
        Assert.Equal("longitude", data.GetProperty("geo").GetProperty("lon").GetString());
        Assert.Equal(PostGis, data.GetProperty("ddl").GetString()!.Contains("geo_point geography", StringComparison.Ordinal)
                              || data.GetProperty("ddl").GetString()!.Contains("\"geo_point\" geography", StringComparison.Ordinal));
        return name;
    }

    private static (string Name, double Lat, double Lon)[] SeedPlaces =>
        [.. Seed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(','))
            .Select(f => (f[0], double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture)))];

    [BackendFact]
    public async Task Within_83_km_of_San_Francisco_are_the_bay_towns_nearest_first()
    {
        var name = await UploadSeedAsync();
        var catalog = await GetAsync($"/datasets/{name}");
        Assert.Equal("latitude", catalog.GetProperty("data").GetProperty("geo").GetProperty("lat").GetString());

        var rows = (await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83")).GetProperty("data").EnumerateArray().ToArray();
        var expected = SeedPlaces.Select(p => (p.Name, Meters: Sphere.Meters(37.773972, -122.43129, p.Lat, p.Lon)))
            .Where(p => p.Meters <= 83_000).OrderBy(p => p.Meters).ToArray();
        Assert.Equal(["San Francisco", "Oakland", "San Bruno", "Alameda", "San Rafael"], expected.Select(p => p.Name));
        Assert.Equal(expected.Select(p => p.Name), rows.Select(r => r.GetProperty("location").GetString()));
        foreach (var (row, (_, meters)) in rows.Zip(expected))
        {
            Assert.InRange(row.GetProperty("distance_km").GetDouble() * 1000 - meters, -1, 1);
        }
        Assert.Equal(0, rows[0].GetProperty("distance_km").GetDouble());

        // The seed's own query: rows within 83 km of row 1 (San Francisco), itself first.
        var nearby = (await GetAsync($"/datasets/{name}/rows/1/nearby?within_km=83")).GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(p => p.Name), nearby.Select(r => r.GetProperty("location").GetString()));
        Assert.Equal(1, nearby[0].GetProperty("id").GetInt64());
        Assert.Equal(0, nearby[0].GetProperty("distance_km").GetDouble());

        // Without near, rows have no distance.
        var plain = (await GetAsync($"/datasets/{name}/rows?limit=1")).GetProperty("data")[0];
        Assert.False(plain.TryGetProperty("distance_km", out _));
    }

    [BackendFact]
    public void The_start_log_says_which_path_is_used()
    {
        var line = Assert.Single(App.Logs.Entries, e => e.Category == typeof(Analyzer.Storage.Spatial).FullName && e.Message.StartsWith("Geography: ", StringComparison.Ordinal));
        Assert.StartsWith(PostGis ? "Geography: PostGIS " : "Geography: bounding box", line.Message, StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task Near_combines_with_filters_and_pages_by_offset()
    {
        var name = await UploadSeedAsync();
        var first = await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83&limit=2");
        Assert.Equal(["San Francisco", "Oakland"], first.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        var next = first.GetProperty("next").GetString()!;
        Assert.Contains("offset=2", next, StringComparison.Ordinal);
        var second = await GetAsync(next);
        Assert.Equal(["San Bruno", "Alameda"], second.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        var third = await GetAsync(second.GetProperty("next").GetString()!);
        Assert.Equal(["San Rafael"], third.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        Assert.Equal(JsonValueKind.Null, third.GetProperty("next").ValueKind);

        var filtered = await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83&location=Oakland");
        Assert.Equal(["Oakland"], filtered.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        var ordered = await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83&order_by=location");
        Assert.Equal(["Alameda", "Oakland", "San Bruno", "San Francisco", "San Rafael"],
            ordered.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        Assert.All(ordered.GetProperty("data").EnumerateArray(), r => Assert.True(r.GetProperty("distance_km").GetDouble() <= 83));

        // A deleted row is left out unless include_deleted=true.
        using (var deleted = await Client.DeleteAsync($"/datasets/{name}/rows/4"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var withoutOakland = await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83");
        Assert.DoesNotContain("Oakland", withoutOakland.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
        var all = await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83&include_deleted=true");
        Assert.Contains("Oakland", all.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("location").GetString()));
    }

    [BackendFact]
    public async Task Bad_search_parameters_are_400_naming_the_parameter()
    {
        var name = await UploadSeedAsync();
        var plain = Unique("plain");
        await UploadOkAsync($"name={plain}", "city,population\nOslo,700000\n");
        var rows = $"/datasets/{name}/rows";
        await AssertRefusedAsync($"/datasets/{plain}/rows?near=1,2&within_km=3", "near");
        await AssertRefusedAsync($"/datasets/{plain}/rows/1/nearby?within_km=3", "name");
        await AssertRefusedAsync($"{rows}?near=abc&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=1&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=NaN,1&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=1,Infinity&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=91,0&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=0,180.5&within_km=3", "near");
        await AssertRefusedAsync($"{rows}?near=1,2", "within_km");
        await AssertRefusedAsync($"{rows}?near=1,2&within_km=", "within_km");
        await AssertRefusedAsync($"{rows}?near=1,2&within_km=-1", "within_km");
        await AssertRefusedAsync($"{rows}?near=1,2&within_km=NaN", "within_km");
        await AssertRefusedAsync($"{rows}?near=1,2&within_km=1e999", "within_km");
        await AssertRefusedAsync($"{rows}?within_km=5", "within_km");
        await AssertRefusedAsync($"{rows}?near=1,2&within_km=5&after=1", "after");
        await AssertRefusedAsync($"{rows}/1/nearby", "within_km");
        await AssertRefusedAsync($"{rows}/1/nearby?within_km=-3", "within_km");
        await AssertRefusedAsync($"{rows}/1/nearby?within_km=3&near=1,2", "near");
        using var missing = await Client.GetAsync($"{rows}/99/nearby?within_km=3");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound);
        using var noDataset = await Client.GetAsync($"/datasets/{Unique("none")}/rows/1/nearby?within_km=3");
        await noDataset.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendFact]
    public async Task Coordinates_are_checked_at_upload_naming_the_line_or_the_parameter()
    {
        async Task Refused(string query, string csv, string key, string? contains = null)
        {
            var name = Unique("bad");
            using var response = await UploadAsync($"name={name}&{query}", Encoding.UTF8.GetBytes(csv));
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(key, out var messages), problem.ToString());
            if (contains is not null)
            {
                Assert.Contains(contains, messages[0].GetString(), StringComparison.Ordinal);
            }
            using var gone = await Client.GetAsync($"/datasets/{name}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await Refused("", "place,lat,lon\na,10.5,20.5\nb,90.5,20.5\n", "file", "line 3");
        await Refused("", "place,Latitude,Longitude\na,10.5,20.5\nb,-10.5,-180.25\n", "file", "line 3");
        await Refused("lat=y&lon=nowhere", "place,y,x\na,10.5,20.5\n", "lon");
        await Refused("lat=place&lon=x", "place,y,x\na,10.5,20.5\n", "lat");
        await Refused("lat=y", "place,y,x\na,10.5,20.5\n", "lon");
        await Refused("lon=x", "place,y,x\na,10.5,20.5\n", "lat");
        await Refused("lat=y&lon=y", "place,y,x\na,10.5,20.5\n", "lon");
        await Refused("lat=y&lon=x", "place,y,x\na,10.5,200\n", "file", "line 2");

        var chosen = await UploadOkAsync($"name={Unique("chosen")}&lat=Y&lon=x", "place,Y,x\na,10.5,20.5\nb,,\n");
        Assert.Equal("y", chosen.GetProperty("geo").GetProperty("lat").GetString());
        Assert.Equal("x", chosen.GetProperty("geo").GetProperty("lon").GetString());
        var lng = await UploadOkAsync($"name={Unique("lng")}", "place,LAT,Lng\na,10.5,20.5\n");
        Assert.Equal("lat", lng.GetProperty("geo").GetProperty("lat").GetString());
        Assert.Equal("lng", lng.GetProperty("geo").GetProperty("lon").GetString());
        var notGeo = await UploadOkAsync($"name={Unique("text")}", "place,lat,lon\na,north,east\n");
        Assert.Equal(JsonValueKind.Null, notGeo.GetProperty("geo").ValueKind);

        // Appended rows are checked against the dataset's coordinates too.
        var appendTo = Unique("append");
        await UploadOkAsync($"name={appendTo}", "place,lat,lon\na,10.5,20.5\n");
        using var appended = await UploadAsync($"name={appendTo}&mode=append", Encoding.UTF8.GetBytes("place,lat,lon\nb,1.5,2.5\nc,-95.5,2.5\n"));
        var problem = await appended.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("line 3", problem.GetProperty("errors").GetProperty("file")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await GetAsync($"/datasets/{appendTo}")).GetProperty("data").GetProperty("row_count").GetInt64());
    }

    [BackendFact]
    public async Task Row_writes_keep_coordinates_in_range_and_searches_in_step()
    {
        var name = await UploadSeedAsync();
        using (var put = await Client.PutAsync($"/datasets/{name}/rows", ApiClient.Json("""{"location": "Nowhere", "latitude": 95, "longitude": 0}""")))
        {
            var problem = await put.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("latitude", out _), problem.ToString());
        }
        using (var patch = await Client.PatchJsonAsync($"/datasets/{name}/rows/2", """{"longitude": -180.5}"""))
        {
            var problem = await patch.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("longitude", out _), problem.ToString());
        }
        using (var link = await Client.GetAsync($"/datasets/{name}/rows/2/update?latitude=-91"))
        {
            await link.AssertProblemAsync(HttpStatusCode.BadRequest);
        }
        // Seattle moves to Berkeley: the searches see it there at once (the PostGIS column follows the coordinates).
        using (var moved = await Client.PatchJsonAsync($"/datasets/{name}/rows/2", """{"latitude": 37.8715, "longitude": -122.273}"""))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }
        using (var added = await Client.PutAsync($"/datasets/{name}/rows", ApiClient.Json("""{"location": "Daly City", "latitude": 37.6879, "longitude": -122.4702}""")))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        var rows = (await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83")).GetProperty("data").EnumerateArray()
            .Select(r => r.GetProperty("location").GetString()).ToArray();
        Assert.Contains("Seattle", rows);
        Assert.Contains("Daly City", rows);
        Assert.Equal(7, rows.Length);
    }

    [BackendFact]
    public async Task Airports_searches_match_the_reference_everywhere_on_the_globe()
    {
        var name = Unique("airports");
        using (var response = await UploadAsync($"name={name}&header=false&columns={AirportColumns}&null=%5CN", Airports))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        var all = new List<(long Id, string? Iata, double Lat, double Lon)>();
        foreach (var row in (await GetAsync($"/datasets/{name}/rows?limit=10000")).GetProperty("data").EnumerateArray())
        {
            all.Add((row.GetProperty("id").GetInt64(), row.GetProperty("iata").GetString(), row.GetProperty("latitude").GetDouble(), row.GetProperty("longitude").GetDouble()));
        }
        Assert.Equal(7_698, all.Count);
        // San Francisco; Fiji, across the antimeridian; Svalbard, whose circle holds the pole; the antipode of Goroka with a huge radius.
        foreach (var (lat, lon, km) in new[] { (37.773972, -122.43129, 83.0), (-17.75, 177.45, 900.0), (78.2, 15.5, 1500.0), (6.08, -34.6, 15000.0), (0.0, 0.0, 0.0) })
        {
            var expected = all.Select(a => (a.Id, a.Iata, Meters: Sphere.Meters(lat, lon, a.Lat, a.Lon))).Where(a => a.Meters <= km * 1000)
                .OrderBy(a => a.Meters).ThenBy(a => a.Id).ToArray();
            var answer = (await GetAsync(string.Create(CultureInfo.InvariantCulture, $"/datasets/{name}/rows?near={lat},{lon}&within_km={km}&limit=10000")))
                .GetProperty("data").EnumerateArray().Select(r => (Id: r.GetProperty("id").GetInt64(), Km: r.GetProperty("distance_km").GetDouble())).ToArray();
            AssertSameHits(expected.Select(e => (e.Id, e.Meters)).ToArray(), answer, km * 1000, $"near {lat},{lon} within {km} km");
        }
        var sfo = (await GetAsync($"/datasets/{name}/rows?near=37.773972,-122.43129&within_km=83")).GetProperty("data").EnumerateArray()
            .Select(r => r.GetProperty("iata").GetString()).ToArray();
        Assert.Contains("SFO", sfo);
        Assert.Contains("OAK", sfo);
        Assert.DoesNotContain("SMF", sfo); // Sacramento, about 140 km away
    }

    /// <summary>
    /// The same rows as the reference, in order of distance, each within 1 m of it; a row within 1 m of the radius may be
    /// on either side (the paths compute the same sphere by different formulas).
    /// </summary>
    private static void AssertSameHits((long Id, double Meters)[] expected, (long Id, double Km)[] answer, double radius, string what)
    {
        bool Sure((long Id, double Meters) e) => Math.Abs(e.Meters - radius) > 1;
        var answered = answer.ToDictionary(a => a.Id, a => a.Km * 1000);
        foreach (var hit in expected.Where(Sure))
        {
            Assert.True(answered.TryGetValue(hit.Id, out var meters), $"{what}: row {hit.Id} ({hit.Meters} m) is missing");
            Assert.True(Math.Abs(meters - hit.Meters) <= 1, $"{what}: row {hit.Id} is {meters} m, the reference {hit.Meters} m");
        }
        var expectedIds = expected.Select(e => e.Id).ToHashSet();
        foreach (var (id, meters) in answered)
        {
            Assert.True(expectedIds.Contains(id) || Math.Abs(meters - radius) <= 1, $"{what}: row {id} ({meters} m) is not within {radius} m");
        }
        var distances = answer.Select(a => a.Km).ToArray();
        Assert.Equal(distances.Order(), distances);
    }

    private static readonly Gen<(double Lat, double Lon, double Km)> Searches =
        from lat in Gen.Choose(-90_000_000, 90_000_000).Select(v => v / 1e6)
        from lon in Gen.Choose(-180_000_000, 180_000_000).Select(v => v / 1e6)
        from km in Gen.Frequency((3, Gen.Choose(0, 3_000_000).Select(v => v / 1e3)), (1, Gen.Choose(0, 21_000).Select(v => (double)v)))
        select (lat, lon, km);

    [BackendFact]
    public async Task Random_searches_over_random_points_agree_with_the_reference()
    {
        var random = new Random(20261201);
        var points = new List<(double Lat, double Lon)>();
        for (var i = 0; i < 400; i++)
        {
            // Everywhere, and more of them near the poles and the antimeridian, where boxes are hard.
            points.Add((i % 4) switch
            {
                0 => (random.NextDouble() * 180 - 90, random.NextDouble() * 360 - 180),
                1 => (Math.Sign(random.NextDouble() - 0.5) * (80 + random.NextDouble() * 10), random.NextDouble() * 360 - 180),
                2 => (random.NextDouble() * 180 - 90, Math.Sign(random.NextDouble() - 0.5) * (170 + random.NextDouble() * 10)),
                _ => (37 + random.NextDouble(), -123 + random.NextDouble()),
            });
        }
        var csv = new StringBuilder("n,lat,lon\n");
        for (var i = 0; i < points.Count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i + 1},{points[i].Lat:R},{points[i].Lon:R}\n");
        }
        var name = Unique("random_points");
        await UploadOkAsync($"name={name}", csv.ToString());

        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(Arb.From(Searches), search =>
        {
            var (lat, lon, km) = search;
            var expected = points.Select((p, i) => (Id: (long)i + 1, Meters: Sphere.Meters(lat, lon, p.Lat, p.Lon)))
                .Where(p => p.Meters <= km * 1000).OrderBy(p => p.Meters).ToArray();
            var answer = GetAsync(string.Create(CultureInfo.InvariantCulture, $"/datasets/{name}/rows?near={lat:R},{lon:R}&within_km={km:R}&limit=10000"))
                .GetAwaiter().GetResult().GetProperty("data").EnumerateArray()
                .Select(r => (Id: r.GetProperty("id").GetInt64(), Km: r.GetProperty("distance_km").GetDouble())).ToArray();
            AssertSameHits(expected, answer, km * 1000, $"near {lat},{lon} within {km} km");
        })));
    }
}
