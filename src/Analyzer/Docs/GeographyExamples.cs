using System.Text.Json.Nodes;

namespace Analyzer.Docs;

/// <summary>
/// Answers of GET /imports/{import_id}/towns/airports?dataset=airports&amp;within_km=20 for examples/bay-import.json (two citizens
/// in San Francisco who came through instagram, one in Oakland through a podcast) with the whole of airports.dat uploaded as airports, as the README does. A town is where
/// the airports of its city are: San Francisco's one airport is SFO, Oakland's is OAK.
/// </summary>
public static class GeographyExamples
{
    public static JsonNode TownAirports() => JsonNode.Parse(TownAirportsJson)!;

    public static JsonNode AirportTowns() => JsonNode.Parse(AirportTownsJson)!;

    private const string TownAirportsJson = """
        {"data": [
          {"town": "Oakland", "citizens": 1, "channels": {"podcast": 1}, "location": {"lat": 37.721298, "lon": -122.221001},
           "airports": [{"id": 3255, "iata": "OAK", "name": "Metropolitan Oakland International Airport", "distance_km": 0},
                        {"id": 6428, "iata": "HWD", "name": "Hayward Executive Airport", "distance_km": 11.115917},
                        {"id": 6455, "iata": "NGZ", "name": "Alameda Naval Air Station", "distance_km": 11.50008},
                        {"id": 3271, "iata": "SFO", "name": "San Francisco International Airport", "distance_km": 17.694905}]},
          {"town": "San Francisco", "citizens": 2, "channels": {"instagram": 2}, "location": {"lat": 37.61899948120117, "lon": -122.375},
           "airports": [{"id": 3271, "iata": "SFO", "name": "San Francisco International Airport", "distance_km": 0},
                        {"id": 6769, "iata": "HAF", "name": "Half Moon Bay Airport", "distance_km": 16.161801},
                        {"id": 5745, "iata": "SQL", "name": "San Carlos Airport", "distance_km": 16.223441},
                        {"id": 3255, "iata": "OAK", "name": "Metropolitan Oakland International Airport", "distance_km": 17.694905},
                        {"id": 6455, "iata": "NGZ", "name": "Alameda Naval Air Station", "distance_km": 19.501669}]}
        ]}
        """;

    private const string AirportTownsJson = """
        {"data": [
          {"id": 3255, "iata": "OAK", "name": "Metropolitan Oakland International Airport", "citizens": 3, "citizen_ids": [1, 2, 3],
           "towns": [{"town": "Oakland", "citizens": 1, "distance_km": 0}, {"town": "San Francisco", "citizens": 2, "distance_km": 17.694905}]},
          {"id": 3271, "iata": "SFO", "name": "San Francisco International Airport", "citizens": 3, "citizen_ids": [1, 2, 3],
           "towns": [{"town": "San Francisco", "citizens": 2, "distance_km": 0}, {"town": "Oakland", "citizens": 1, "distance_km": 17.694905}]},
          {"id": 6455, "iata": "NGZ", "name": "Alameda Naval Air Station", "citizens": 3, "citizen_ids": [1, 2, 3],
           "towns": [{"town": "Oakland", "citizens": 1, "distance_km": 11.50008}, {"town": "San Francisco", "citizens": 2, "distance_km": 19.501669}]},
          {"id": 6769, "iata": "HAF", "name": "Half Moon Bay Airport", "citizens": 2, "citizen_ids": [1, 2],
           "towns": [{"town": "San Francisco", "citizens": 2, "distance_km": 16.161801}]},
          {"id": 5745, "iata": "SQL", "name": "San Carlos Airport", "citizens": 2, "citizen_ids": [1, 2],
           "towns": [{"town": "San Francisco", "citizens": 2, "distance_km": 16.223441}]},
          {"id": 6428, "iata": "HWD", "name": "Hayward Executive Airport", "citizens": 1, "citizen_ids": [3],
           "towns": [{"town": "Oakland", "citizens": 1, "distance_km": 11.115917}]}
        ]}
        """;
}
