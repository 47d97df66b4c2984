using System.Text.Json.Nodes;

namespace Analyzer.Docs;

/// <summary>
/// The examples of the contract, shown in the document and pre-filled by Swagger UI's "Try it out".
/// On an empty database they run in order: the import gets id 1, then citizen 3 of it can be patched.
/// Each call returns a new node: the document takes ownership of what it is given.
/// </summary>
public static class ContractExamples
{
    /// <summary>1 and 2 are brothers, 3 has no relatives.</summary>
    public static JsonNode Import() => JsonNode.Parse("""
        {
          "citizens": [
            {
              "citizen_id": 1, "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7,
              "name": "Иванов Иван Иванович", "birth_date": "26.12.1986", "gender": "male", "relatives": [2]
            },
            {
              "citizen_id": 2, "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7,
              "name": "Иванов Сергей Иванович", "birth_date": "01.04.1997", "gender": "male", "relatives": [1]
            },
            {
              "citizen_id": 3, "town": "Керчь", "street": "Иосифа Бродского", "building": "2", "apartment": 11,
              "name": "Романова Мария Леонидовна", "birth_date": "23.11.1986", "gender": "female", "relatives": []
            }
          ]
        }
        """)!;

    /// <summary>Ids in paths that fit the examples: import 1, citizen 3.</summary>
    public static JsonNode PathId(string name) => JsonValue.Create(name == "citizen_id" ? 3 : 1);

    public static JsonNode ImportCreated() => JsonNode.Parse("""{"data": {"import_id": 1}}""")!;

    /// <summary>Citizen 3 moves to Moscow, takes a new name and becomes a relative of citizen 1.</summary>
    public static JsonNode Patch() => JsonNode.Parse("""
        {
          "name": "Иванова Мария Леонидовна", "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5",
          "apartment": 7, "relatives": [1]
        }
        """)!;

    /// <summary>A later patch that removes every relative of citizen 3 (and 3 from their lists).</summary>
    public static JsonNode PatchClearRelatives() => JsonNode.Parse("""{"relatives": []}""")!;

    /// <summary>Citizen 3 after <see cref="Patch"/>.</summary>
    public static JsonNode PatchedCitizen() => JsonNode.Parse("""
        {
          "data": {
            "citizen_id": 3, "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7,
            "name": "Иванова Мария Леонидовна", "birth_date": "23.11.1986", "gender": "female", "relatives": [1]
          }
        }
        """)!;

    /// <summary>The contract's example import, read back.</summary>
    public static JsonNode Citizens() => new JsonObject { ["data"] = Import()["citizens"]!.DeepClone() };

    /// <summary>Presents for the contract's example import: 2 (born in April) gets one from 1, 1 (born in December) one from 2.</summary>
    public static JsonNode PresentsByMonth()
    {
        var months = new JsonObject();
        for (var month = 1; month <= 12; month++)
        {
            months[month.ToString(System.Globalization.CultureInfo.InvariantCulture)] = month switch
            {
                4 => JsonNode.Parse("""[{"citizen_id": 1, "presents": 1}]"""),
                12 => JsonNode.Parse("""[{"citizen_id": 2, "presents": 1}]"""),
                _ => new JsonArray(),
            };
        }
        return new JsonObject { ["data"] = months };
    }

    public static JsonNode AgePercentiles() => JsonNode.Parse("""
        {"data": [{"town": "Москва", "p50": 35.0, "p75": 47.5, "p99": 59.5}, {"town": "Керчь", "p50": 39.0, "p75": 39.0, "p99": 39.0}]}
        """)!;

    /// <summary>An error answer as the service writes it (the request id differs per request).</summary>
    public static JsonNode Problem(int status, string title, string detail, JsonObject? errors = null)
    {
        var problem = new JsonObject
        {
            ["type"] = "https://tools.ietf.org/html/rfc9110",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null)
        {
            problem["errors"] = errors;
        }
        problem["request_id"] = "0HNQ85HULQCFR:00000001";
        return problem;
    }

    public static JsonNode InvalidImport() => Problem(
        StatusCodes.Status400BadRequest, "The request is invalid", "The import was not stored: fix the fields listed in errors.",
        new JsonObject { ["citizens[0].birth_date"] = new JsonArray("must be a real date written DD.MM.YYYY, not \"31.02.2019\"") });

    public static JsonNode HealthOk() => JsonNode.Parse("""{"status": "ok"}""")!;

    public static JsonNode HealthUnavailable() => JsonNode.Parse("""{"status": "unavailable"}""")!;
}
