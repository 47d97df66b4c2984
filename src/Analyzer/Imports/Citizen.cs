namespace Analyzer.Imports;

public enum Gender { Male, Female }

/// <summary>A citizen as stored: the contract's CITIZEN object.</summary>
public sealed record Citizen(
    int CitizenId,
    string Town,
    string Street,
    string Building,
    int Apartment,
    string Name,
    DateOnly BirthDate,
    Gender Gender,
    IReadOnlyList<int> Relatives);

/// <summary>The fields a PATCH changes; <c>null</c> means "leave as is".</summary>
public sealed record CitizenPatch
{
    public string? Town { get; init; }
    public string? Street { get; init; }
    public string? Building { get; init; }
    public int? Apartment { get; init; }
    public string? Name { get; init; }
    public DateOnly? BirthDate { get; init; }
    public Gender? Gender { get; init; }
    public IReadOnlyList<int>? Relatives { get; init; }

    public bool ChangesColumns =>
        Town is not null || Street is not null || Building is not null || Apartment is not null
        || Name is not null || BirthDate is not null || Gender is not null;

    public Citizen ApplyTo(Citizen citizen) => citizen with
    {
        Town = Town ?? citizen.Town,
        Street = Street ?? citizen.Street,
        Building = Building ?? citizen.Building,
        Apartment = Apartment ?? citizen.Apartment,
        Name = Name ?? citizen.Name,
        BirthDate = BirthDate ?? citizen.BirthDate,
        Gender = Gender ?? citizen.Gender,
        Relatives = Relatives ?? citizen.Relatives,
    };
}

public static class GenderNames
{
    public static string ToName(this Gender gender) => gender == Gender.Male ? "male" : "female";

    public static Gender Parse(string name) => name switch
    {
        "male" => Gender.Male,
        "female" => Gender.Female,
        _ => throw new FormatException($"unknown gender '{name}' in the database"),
    };
}
