using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Analyzer.Bench;

public sealed record GeoOptions(string? Airports, int Citizens, double NearKm, double TownsKm, int Repeat, int Warmup);

/// <summary>
/// Geography: uploads airports.dat as <c>airports</c>, appends one row per town of the generated import (the generator's
/// 20 Russian town names, placed at 20 airports' cities of the world, so that every town has a location), stores the
/// import, then times GET rows?near= (around successive airports, --near-km) and GET towns/airports by town and by airport
/// (--towns-km). Run it with --start postgres (PostGIS when installed), --start postgres --postgis off, and --start sqlite
/// for the three paths.
/// </summary>
public static class Geo
{
    private const string AirportColumns = "airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source";

    /// <summary>Where the generated towns are put: big cities with several airports around, and a few lonely places.</summary>
    private static readonly (double Lat, double Lon)[] TownPlaces =
    [
        (55.7558, 37.6173), (59.9343, 30.3351), (40.7128, -74.0060), (51.5074, -0.1278), (48.8566, 2.3522), (35.6762, 139.6503),
        (37.7740, -122.4313), (34.0522, -118.2437), (41.8781, -87.6298), (52.5200, 13.4050), (40.4168, -3.7038), (41.3874, 2.1686),
        (-33.8688, 151.2093), (-23.5505, -46.6333), (19.4326, -99.1332), (1.3521, 103.8198), (25.2048, 55.2708), (64.1466, -21.9426),
        (-17.7134, 178.0650), (78.2232, 15.6267),
    ];

    public static async Task<int> RunAsync(Target target, GeoOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var file = options.Airports ?? Path.Combine(Target.RepositoryRoot(), "examples", "airports.dat");
        output.WriteLine($"geo: {file}; near= within {options.NearKm} km, towns/airports within {options.TownsKm} km for {options.Citizens:N0} citizens in 20 towns; {options.Repeat} measured after {options.Warmup} warm-up requests each");
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} before the run");
        using var client = new BenchClient(target.BaseUrl, TimeSpan.FromMinutes(2), 1);

        var upload = await client.SendAsync(HttpMethod.Post, $"/datasets?name=airports&mode=replace&header=false&null=%5CN&columns={AirportColumns}",
            BenchClient.File(file, "text/csv"), keepBody: true, cancellationToken);
        if (!upload.Success)
        {
            throw new BenchException($"upload of {file}: {upload.Describe()}");
        }
        using (var dataset = JsonDocument.Parse(upload.Body!))
        {
            var ddl = dataset.RootElement.GetProperty("data").GetProperty("ddl").GetString()!;
            output.WriteLine($"airports: {dataset.RootElement.GetProperty("data").GetProperty("row_count").GetInt64():N0} rows in {upload.Elapsed.TotalSeconds:0.00} s, "
                + (ddl.Contains("geo_point", StringComparison.Ordinal) ? "PostGIS path (geography column, GiST index)" : "fallback path ((lat, lon) index, haversine)"));
        }

        var import = GeneratedImport.Create(new ImportSpec(options.Citizens, options.Citizens / 10, 1));
        var towns = Enumerable.Range(0, import.Count).Select(i => import.Citizen(i).Town).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var extra = new StringBuilder();
        for (var i = 0; i < towns.Length; i++)
        {
            var (lat, lon) = TownPlaces[i % TownPlaces.Length];
            extra.Append(CultureInfo.InvariantCulture, $"{900_000 + i},\"{towns[i]} city\",\"{towns[i]}\",\"Bench\",\\N,\\N,{lat},{lon},0,0,\"N\",\"UTC\",\"city\",\"bench\"\n");
        }
        var appended = await client.SendAsync(HttpMethod.Post, $"/datasets?name=airports&mode=append&header=false&null=%5CN&columns={AirportColumns}",
            new ByteArrayContent(Encoding.UTF8.GetBytes(extra.ToString())) { Headers = { ContentType = new("text/csv") } }, keepBody: false, cancellationToken);
        var stored = await client.SendAsync(HttpMethod.Post, "/imports", BenchClient.Json(import.ToJson()), keepBody: true, cancellationToken);
        if (!appended.Success || !stored.Success)
        {
            throw new BenchException($"set-up: {(appended.Success ? stored.Describe() : appended.Describe())}");
        }
        long importId;
        using (var answer = JsonDocument.Parse(stored.Body!))
        {
            importId = answer.RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        }
        output.WriteLine($"import {importId}: {import.Count:N0} citizens in {towns.Length} towns");

        // Centres of the near= searches: the airports themselves, cycled (dense Europe and America, lonely islands alike).
        var centres = File.ReadLines(file).Select(line => line.Split(','))
            .Select(f => f.Length >= 8 && double.TryParse(f[^8], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
                && double.TryParse(f[^7], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) ? (lat, lon) : ((double, double)?)null)
            .OfType<(double Lat, double Lon)>().Where((_, i) => i % 37 == 0).ToArray();
        var near = string.Create(CultureInfo.InvariantCulture, $"within_km={options.NearKm}");
        var towns100 = string.Create(CultureInfo.InvariantCulture, $"/imports/{importId}/towns/airports?dataset=airports&within_km={options.TownsKm}");
        var kinds = new (string Name, Func<int, string> Path)[]
        {
            ("GET /datasets/airports/rows?near=…", i => string.Create(CultureInfo.InvariantCulture, $"/datasets/airports/rows?near={centres[i % centres.Length].Lat},{centres[i % centres.Length].Lon}&{near}")),
            ("GET /datasets/airports/rows/{id}/nearby", i => $"/datasets/airports/rows/{1 + (i * 37) % 7698}/nearby?{near}"),
            ("GET /imports/{id}/towns/airports", _ => towns100),
            ("GET /imports/{id}/towns/airports&by=airport", _ => towns100 + "&by=airport"),
        };
        var table = new Table("request", "n", "errors", "min ms", "median ms", "p95 ms", "max ms", "bytes/answer");
        var errors = 0;
        foreach (var (name, path) in kinds)
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                await client.SendAsync(HttpMethod.Get, path(i), null, keepBody: false, cancellationToken);
            }
            var stats = new EndpointStats(name);
            for (var i = 0; i < options.Repeat; i++)
            {
                stats.Add(await client.SendAsync(HttpMethod.Get, path(options.Warmup + i), null, keepBody: false, cancellationToken));
            }
            var summary = stats.Summary();
            errors += summary.Errors;
            foreach (var failure in stats.Failures.Take(3))
            {
                output.WriteLine($"{name}: {failure}");
            }
            table.Add(name, summary.Count.ToString(CultureInfo.InvariantCulture), summary.Errors.ToString(CultureInfo.InvariantCulture),
                Format.Ms(summary.Min), Format.Ms(summary.Median), Format.Ms(summary.P95), Format.Ms(summary.Max), Format.Bytes(summary.BytesPerAnswer));
        }
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        if (target.ServerPid is not null)
        {
            output.WriteLine(target.Report().ToString());
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        return errors > 0 ? ExitCodes.Errors : 0;
    }
}
