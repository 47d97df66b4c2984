namespace Analyzer.Imports;

/// <summary>Validation messages keyed by JSON path (<c>citizens[3].birth_date</c>), capped so a broken file cannot produce a huge answer.</summary>
public sealed class ValidationErrors
{
    public const int Limit = 100;

    private readonly Dictionary<string, List<string>> byPath = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public bool IsFull => Count >= Limit;

    public void Add(JsonPath path, string message) => Add(path.ToString(), message);

    public void Add(string path, string message)
    {
        if (IsFull)
        {
            return;
        }
        if (!byPath.TryGetValue(path, out var messages))
        {
            byPath[path] = messages = [];
        }
        messages.Add(message);
        Count++;
    }

    public Dictionary<string, string[]> ToDictionary() =>
        byPath.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal);
}

/// <summary>
/// A JSON path (<c>citizens[3].relatives[0]</c>) turned into a string only when an error needs it; a field of the
/// import's citizens names its citizen by <see cref="Citizen"/>'s index (no string per citizen read).
/// </summary>
public readonly record struct JsonPath(string? Parent, string Name, int Index = -1, int Citizen = -1)
{
    public JsonPath At(int index) => this with { Index = index };

    /// <summary>A field of the import's citizen at <paramref name="citizen"/>: <c>citizens[citizen].name</c>.</summary>
    public static JsonPath OfCitizen(int citizen, string name) => new(null, name, Citizen: citizen);

    public static string CitizenPath(int citizen) => $"citizens[{citizen}]";

    public override string ToString()
    {
        var parent = Citizen >= 0 ? CitizenPath(Citizen) : Parent;
        return (parent is null ? Name : $"{parent}.{Name}") + (Index >= 0 ? $"[{Index}]" : "");
    }
}
