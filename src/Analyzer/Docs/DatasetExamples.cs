using System.Text.Json.Nodes;
using Analyzer.Datasets;
using Analyzer.Datasets.Csv;
using Analyzer.Storage;

namespace Analyzer.Docs;

/// <summary>
/// Examples of datasets: four airports of OpenFlights' airports.dat (ODbL; openflights.org), a file without a header that
/// writes \N for a missing value. On an empty database they run in order: the upload creates the dataset airports with
/// rows 1–4, PUT adds row 5, and row 1 can be read, patched, deleted and restored. Each call returns a new node.
/// </summary>
public static class DatasetExamples
{
    public const string Name = "airports";

    /// <summary>The columns of airports.dat, which has no header.</summary>
    public const string AirportColumns = "airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source";

    /// <summary>Four lines of airports.dat: a missing IATA and ICAO code, a missing time zone, and a half-hour time zone.</summary>
    public const string AirportsCsv =
        "1,\"Goroka Airport\",\"Goroka\",\"Papua New Guinea\",\"GKA\",\"AYGA\",-6.081689834590001,145.391998291,5282,10,\"U\",\"Pacific/Port_Moresby\",\"airport\",\"OurAirports\"\n" +
        "24,\"St. Anthony Airport\",\"St. Anthony\",\"Canada\",\"YAY\",\"CYAY\",51.3918991089,-56.083099365200006,108,-3.5,\"A\",\"America/St_Johns\",\"airport\",\"OurAirports\"\n" +
        "7909,\"Sun Island Resort and SPA\",\"South Aari Atoll\",\"Maldives\",\\N,\\N,3.488334,72.862989,0,-3,\"N\",\"America/Sao_Paulo\",\"airport\",\"OurAirports\"\n" +
        "11743,\"La Grande-4 Airport\",\"La Grande-4\",\"Canada\",\"YAH\",\"CYAH\",53.754699707,-73.6753005981,1005,\\N,\\N,\\N,\"airport\",\"OurAirports\"\n";

    /// <summary>The types inferred from <see cref="AirportsCsv"/> (the same as from the whole of airports.dat).</summary>
    private static readonly DatasetColumn[] Columns =
    [
        new("airport_id", ColumnType.Integer, false), new("name", ColumnType.Text, false), new("city", ColumnType.Text, false),
        new("country", ColumnType.Text, false), new("iata", ColumnType.Text, true), new("icao", ColumnType.Text, true),
        new("latitude", ColumnType.Float, false), new("longitude", ColumnType.Float, false), new("altitude", ColumnType.Integer, false),
        new("timezone", ColumnType.Float, true), new("dst", ColumnType.Text, true), new("tz", ColumnType.Text, true),
        new("type", ColumnType.Text, false), new("source", ColumnType.Text, false),
    ];

    private const string CreatedAt = "2026-11-21T12:00:00Z";

    /// <summary>The example dataset is geographic: latitude and longitude are float columns so named.</summary>
    private static readonly Datasets.Geography.GeoColumns Geo = new("latitude", "longitude", Point: false);

    /// <summary>The DDL of the example dataset, as PostgreSQL without PostGIS writes it (with PostGIS, a geo_point column and its GiST index follow).</summary>
    public static string DdlText() => Datasets.Ddl.CreateTable(SqlDialect.Postgres, Name, Columns, Geo);

    public static JsonNode Csv() => JsonValue.Create(AirportsCsv);

    public static JsonNode DdlAnswer() => JsonValue.Create(DdlText() + "\n");

    private static JsonObject Dataset() => new()
    {
        ["name"] = Name,
        ["columns"] = new JsonArray([.. Columns.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["type"] = c.Type.ToApiName(),
            ["nullable"] = c.Nullable,
        })]),
        ["row_count"] = 4,
        ["geo"] = new JsonObject { ["lat"] = Geo.Lat, ["lon"] = Geo.Lon },
        ["ddl"] = DdlText(),
        ["source_file"] = null, // uploaded as a text/csv body, as in the example request
        ["created_at"] = CreatedAt,
        ["updated_at"] = CreatedAt,
    };

    public static JsonNode DatasetData() => new JsonObject { ["data"] = Dataset() };

    public static JsonNode DatasetList() => new JsonObject { ["data"] = new JsonArray(Dataset()) };

    private static JsonObject Goroka() => Row("""
        {"id": 1, "airport_id": 1, "name": "Goroka Airport", "city": "Goroka", "country": "Papua New Guinea", "iata": "GKA", "icao": "AYGA",
         "latitude": -6.081689834590001, "longitude": 145.391998291, "altitude": 5282, "timezone": 10, "dst": "U",
         "tz": "Pacific/Port_Moresby", "type": "airport", "source": "OurAirports", "deleted_at": null}
        """);

    private static JsonObject StAnthony() => Row("""
        {"id": 2, "airport_id": 24, "name": "St. Anthony Airport", "city": "St. Anthony", "country": "Canada", "iata": "YAY", "icao": "CYAY",
         "latitude": 51.3918991089, "longitude": -56.083099365200006, "altitude": 108, "timezone": -3.5, "dst": "A",
         "tz": "America/St_Johns", "type": "airport", "source": "OurAirports", "deleted_at": null}
        """);

    private static JsonObject Row(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonNode GorokaData() => new JsonObject { ["data"] = Goroka() };

    public static JsonNode RowPage() => new JsonObject
    {
        ["data"] = new JsonArray(Goroka(), StAnthony()),
        ["next"] = "/datasets/airports/rows?limit=2&after=2",
    };

    /// <summary>GET rows/1/nearby?within_km=100: of the four airports only Goroka itself is that close.</summary>
    public static JsonNode NearbyPage()
    {
        var goroka = Goroka();
        goroka["distance_km"] = 0.0;
        return new JsonObject { ["data"] = new JsonArray(goroka), ["next"] = null };
    }

    /// <summary>The body of PUT rows: Madang Airport, the second line of airports.dat.</summary>
    public static JsonNode NewRow() => Row("""
        {"airport_id": 2, "name": "Madang Airport", "city": "Madang", "country": "Papua New Guinea", "iata": "MAG", "icao": "AYMD",
         "latitude": -5.20707988739, "longitude": 145.789001465, "altitude": 20, "timezone": 10, "dst": "U",
         "tz": "Pacific/Port_Moresby", "type": "airport", "source": "OurAirports"}
        """);

    /// <summary>Madang Airport as stored: row 5 after the four uploaded ones.</summary>
    public static JsonNode NewRowData()
    {
        var row = new JsonObject { ["id"] = 5 };
        foreach (var (name, value) in NewRow().AsObject())
        {
            row[name] = value?.DeepClone();
        }
        row["deleted_at"] = null;
        return new JsonObject { ["data"] = row };
    }

    /// <summary>A correction of row 1, and a column set to NULL.</summary>
    public static JsonNode Patch() => JsonNode.Parse("""{"city": "Goroka, Eastern Highlands", "dst": null}""")!;

    public static JsonNode PatchedData()
    {
        var row = Goroka();
        row["city"] = "Goroka, Eastern Highlands";
        row["dst"] = null;
        return new JsonObject { ["data"] = row };
    }

    /// <summary>Row 1 flagged deleted by GET rows/1/delete.</summary>
    public static JsonNode DeletedData()
    {
        var row = Goroka();
        row["deleted_at"] = "2026-11-21T12:05:00Z";
        return new JsonObject { ["data"] = row };
    }

    /// <summary>The query of GET rows/create: Madang Airport, as col=value pairs.</summary>
    public static JsonNode CreateQuery()
    {
        var query = new JsonObject();
        foreach (var (name, value) in NewRow().AsObject())
        {
            query[name] = value!.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        }
        return query;
    }

    /// <summary>The query of GET rows/1/update.</summary>
    public static JsonNode UpdateQuery() => JsonNode.Parse("""{"city": "Goroka, Eastern Highlands"}""")!;

    /// <summary>The filter of GET rows: the airport with IATA code GKA.</summary>
    public static JsonNode Filter() => JsonNode.Parse("""{"iata": "GKA"}""")!;

    private static JsonNode Confirmation(string action) => new JsonObject
    {
        ["data"] = new JsonObject
        {
            ["confirm_url"] = "http://localhost:8080/confirmations/6Iwt5mkaHyILplI1-3plYDcPZZC1WaXYs6W6GJgKFp8",
            ["expires_at"] = "2026-11-22T12:00:00Z",
            ["action"] = action,
        },
    };

    public static JsonNode CreateConfirmation() => Confirmation("create");

    public static JsonNode UpdateConfirmation() => Confirmation("update");

    /// <summary>The answer to DELETE rows/1?purge=yes, as the framework writes it.</summary>
    /// <summary>A token as confirm_url carries it (43 characters of base64url: 256 random bits).</summary>
    public static JsonNode Token() => JsonValue.Create("6Iwt5mkaHyILplI1-3plYDcPZZC1WaXYs6W6GJgKFp8");
}
