using System.Text.Json.Nodes;

namespace Analyzer.Docs;

/// <summary>
/// Answers of GET /imports/{import_id}/towns/airports?dataset=airports&amp;within_km=20 for an import of two citizens in
/// San Francisco and one in Oakland, with the whole of airports.dat uploaded as airports (as the README does).
/// </summary>
public static class GeographyExamples
{
    public static JsonNode TownAirports() => JsonNode.Parse(TownAirportsJson)!;

    public static JsonNode AirportTowns() => JsonNode.Parse(AirportTownsJson)!;

    private const string TownAirportsJson = """
        {"data": [
          {"town": "Oakland", "citizens": 1, "location": {"lat": 37.721298217800001, "lon": -122.221000671},
           "airports": [{"id": 3469, "iata": "OAK", "name": "Metropolitan Oakland International Airport", "distance_km": 0},
                        {"id": 3386, "iata": "SFO", "name": "San Francisco International Airport", "distance_km": 16.9}]},
          {"town": "San Francisco", "citizens": 2, "location": {"lat": 37.6189994812, "lon": -122.375},
           "airports": [{"id": 3386, "iata": "SFO", "name": "San Francisco International Airport", "distance_km": 0},
                        {"id": 3469, "iata": "OAK", "name": "Metropolitan Oakland International Airport", "distance_km": 16.9}]}
        ]}
        """;

    private const string AirportTownsJson = """
        {"data": [
          {"id": 3386, "iata": "SFO", "name": "San Francisco International Airport", "citizens": 3, "citizen_ids": [1, 2, 3],
           "towns": [{"town": "San Francisco", "citizens": 2, "distance_km": 0}, {"town": "Oakland", "citizens": 1, "distance_km": 16.9}]}
        ]}
        """;
}
