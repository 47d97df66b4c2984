using System.ComponentModel;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Datasets.Csv;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Analyzer.Datasets.Geography;

/// <summary>
/// <c>GET /imports/{import_id}/towns/airports?dataset=airports&amp;within_km=100</c>: the seed's question 3 — which airports
/// (rows of a geographic dataset with a city column) serve the towns of an import; <c>by=airport</c> turns it around.
/// </summary>
public static class TownAirportsApi
{
    public static IServiceCollection AddTownAirports(this IServiceCollection services) => services.AddSingleton<TownCitizensQuery>();

    public static void MapTownAirports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/imports/{import_id:id}/towns/airports", GetTownAirports).WithTags("Geography").WithName("GetTownAirports")
            .RequireAnalyzerScopes()
            .WithSummary("The airports near each town of an import (by=airport: the citizens near each airport)")
            .WithDescription("A town's location is the mean of the coordinates of the dataset's rows whose city equals the town, ignoring case " +
                "(null when none does, and then no airports). Airports are the dataset's rows (not flagged deleted) within within_km of that " +
                "location, nearest first, with iata and name when the dataset has such columns. Distances are great-circle distances on a sphere " +
                "of radius 6,370,986 m, as PostGIS's ST_DistanceSphere. by=airport lists every airport within the radius of some town, with the " +
                "citizens of those towns, most citizens first.")
            .DocumentsParameters(GeographyParameters.TownAirports)
            .ProducesContract(StatusCodes.Status200OK, GeographySchemas.TownAirports, "Per town (by=town) or per airport (by=airport); the example is by=town.",
                GeographyExamples.TownAirports)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> GetTownAirports(
        [FromRoute(Name = "import_id"), Description(EndpointDocs.ImportIdDescription)] string importId,
        HttpRequest request, TownCitizensQuery citizens, DatasetRows datasets, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new ValidationErrors();
        var datasetName = query["dataset"].ToString();
        if (datasetName.Length == 0)
        {
            errors.Add("dataset", "is required: the name of a geographic dataset with a city column, such as airports");
        }
        var meters = NearParameters.Radius(query, errors);
        var byAirport = query["by"].ToString() switch
        {
            "" or "town" => false,
            "airport" => true,
            _ => (bool?)null,
        };
        if (byAirport is null)
        {
            errors.Add("by", "must be town (the default: airports per town) or airport (citizens per airport)");
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }
        if (!Web.PathIds.TryParseImportId(importId, out var id) || await citizens.ReadAsync(id, cancellationToken) is not { } towns)
        {
            return Problems.ImportNotFound(importId);
        }

        await using var transaction = await datasets.BeginReadAsync(datasetName, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(datasetName);
        }
        var city = dataset.Column("city");
        if (dataset.Geo is null)
        {
            errors.Add("dataset", NearParameters.NotGeographic(dataset));
        }
        else if (city is not { Type: ColumnType.Text })
        {
            errors.Add("dataset", $"dataset {dataset.Name} has no text column city to find the towns in");
        }
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "Fix the query parameters listed in errors.");
        }

        var locations = TownAirports.Locations(towns.Select(t => t.Town), await transaction.ReadCoordinatesAsync(city!, cancellationToken));
        var (iata, name) = (dataset.Columns.ToList().FindIndex(c => c.Name == "iata"), dataset.Columns.ToList().FindIndex(c => c.Name == "name"));
        var located = towns.Where(t => locations.ContainsKey(t.Town)).ToArray();
        var near = await transaction.ReadNearManyAsync([.. located.Select(t => locations[t.Town])], meters!.Value, cancellationToken);
        var placesOf = located.Zip(near).ToDictionary(p => p.First.Town, p => p.Second, StringComparer.Ordinal);
        var answer = towns.Select(town => placesOf.TryGetValue(town.Town, out var rows)
            ? new TownPlaces(town, locations[town.Town], [.. rows.Select(r => new PlaceDistance(
                new Place(r.Id, iata < 0 ? null : r.Values[iata], name < 0 ? null : r.Values[name]), r.DistanceMeters!.Value))])
            : new TownPlaces(town, null, [])).ToList();
        return byAirport!.Value
            ? new WrittenJson(StatusCodes.Status200OK, writer => WriteByAirport(writer, TownAirports.ByPlace(answer)))
            : new WrittenJson(StatusCodes.Status200OK, writer => WriteByTown(writer, answer));
    }

    private static void WriteByTown(Utf8JsonWriter writer, IReadOnlyList<TownPlaces> towns)
    {
        writer.WriteStartArray();
        foreach (var town in towns)
        {
            writer.WriteStartObject();
            writer.WriteString("town"u8, town.Town.Town);
            writer.WriteNumber("citizens"u8, town.Town.CitizenIds.Count);
            writer.WriteStartObject("channels"u8);
            foreach (var (channel, count) in town.Town.Channels)
            {
                writer.WriteNumber(channel, count);
            }
            writer.WriteEndObject();
            if (town.Location is var (lat, lon))
            {
                writer.WriteStartObject("location"u8);
                writer.WriteNumber("lat"u8, lat);
                writer.WriteNumber("lon"u8, lon);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("location"u8);
            }
            writer.WriteStartArray("airports"u8);
            foreach (var (place, meters) in town.Places)
            {
                writer.WriteStartObject();
                WritePlace(writer, place);
                writer.WriteNumber("distance_km"u8, RowValues.Kilometers(meters));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteByAirport(Utf8JsonWriter writer, IReadOnlyList<PlaceTowns> places)
    {
        writer.WriteStartArray();
        foreach (var place in places)
        {
            writer.WriteStartObject();
            WritePlace(writer, place.Place);
            writer.WriteNumber("citizens"u8, place.CitizenIds.Count);
            writer.WriteStartArray("citizen_ids"u8);
            foreach (var citizen in place.CitizenIds)
            {
                writer.WriteNumberValue(citizen);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("towns"u8);
            foreach (var (town, meters) in place.Towns)
            {
                writer.WriteStartObject();
                writer.WriteString("town"u8, town.Town);
                writer.WriteNumber("citizens"u8, town.CitizenIds.Count);
                writer.WriteNumber("distance_km"u8, RowValues.Kilometers(meters));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WritePlace(Utf8JsonWriter writer, Place place)
    {
        writer.WriteNumber("id"u8, place.Id);
        writer.WritePropertyName("iata"u8);
        RowValues.WriteValue(writer, place.Iata);
        writer.WritePropertyName("name"u8);
        RowValues.WriteValue(writer, place.Name);
    }
}
