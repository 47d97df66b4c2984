using System.Globalization;
using System.Text.Json.Nodes;

namespace Analyzer.Tests.Infrastructure;

/// <summary>Builds import bodies: valid citizens by default, any field overridable.</summary>
public static class Citizens
{
    public static JsonObject Citizen(
        int id,
        int[]? relatives = null,
        string town = "Москва",
        string street = "Льва Толстого",
        string building = "16к7стр5",
        int apartment = 7,
        string name = "Иванов Иван Иванович",
        string birthDate = "26.12.1986",
        string gender = "male") => new()
        {
            ["citizen_id"] = id,
            ["town"] = town,
            ["street"] = street,
            ["building"] = building,
            ["apartment"] = apartment,
            ["name"] = name,
            ["birth_date"] = birthDate,
            ["gender"] = gender,
            ["relatives"] = new JsonArray([.. (relatives ?? []).Select(r => (JsonNode)r)]),
        };

    public static JsonObject Import(params JsonObject[] citizens) => new() { ["citizens"] = new JsonArray(citizens) };

    /// <summary>The contract's example: 1 and 2 are brothers, 3 has no relatives.</summary>
    public static JsonObject ContractExample() => Import(
        Citizen(1, [2], name: "Иванов Иван Иванович", birthDate: "26.12.1986"),
        Citizen(2, [1], name: "Иванов Сергей Иванович", birthDate: "01.04.1997"),
        Citizen(3, [], town: "Керчь", street: "Иосифа Бродского", building: "2", apartment: 11,
            name: "Романова Мария Леонидовна", birthDate: "23.11.1986", gender: "female"));

    private static readonly string[] Towns = [.. Enumerable.Range(1, 20).Select(i => $"Город {i}")];

    /// <summary>A deterministic random import: <paramref name="count"/> citizens, <paramref name="pairs"/> distinct relation pairs (self-relations among them).</summary>
    public static JsonObject Random(int count, int pairs, int seed, DateOnly today)
    {
        var random = new Random(seed);
        var relatives = Enumerable.Range(0, count).Select(_ => new SortedSet<int>()).ToArray();
        var made = 0;
        while (made < pairs && count > 0)
        {
            var a = random.Next(count);
            var b = random.Next(10) == 0 ? a : random.Next(count);
            if (relatives[a].Add(b))
            {
                relatives[b].Add(a);
                made++;
            }
        }
        return Import([.. Enumerable.Range(0, count).Select(i => Citizen(
            i,
            [.. relatives[i]],
            town: Towns[random.Next(Towns.Length)],
            apartment: random.Next(1, 500),
            name: $"Житель {i}",
            birthDate: today.AddDays(-random.Next(0, 80 * 366)).ToString("dd.MM.yyyy", CultureInfo.InvariantCulture),
            gender: random.Next(2) == 0 ? "male" : "female"))]);
    }
}
