namespace Analyzer.Imports;

public enum Gender { Male, Female }

/// <summary>
/// A citizen as stored: the contract's CITIZEN object, plus an advertising channel and friends. In an import
/// stored without either (the contract's shape) <see cref="Friends"/> is null on every citizen; in one that
/// has them it is a list on every citizen, and the citizen is written with both keys.
/// </summary>
public sealed record Citizen(
    int CitizenId,
    string Town,
    string Street,
    string Building,
    int Apartment,
    string Name,
    DateOnly BirthDate,
    Gender Gender,
    IReadOnlyList<int> Relatives,
    string? Channel = null,
    IReadOnlyList<int>? Friends = null)
{
    /// <summary>Whether the citizen's import has channels and friends (and so shows both keys).</summary>
    public bool HasFriendsAndChannels => Friends is not null;
}

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
    public IReadOnlyList<int>? Friends { get; init; }

    /// <summary>The new channel when <see cref="ChangesChannel"/> (null clears it).</summary>
    public string? Channel { get; init; }
    public bool ChangesChannel { get; init; }

    /// <summary>Whether a column of the citizen's own row other than its lists changes.</summary>
    public bool ChangesColumns =>
        Town is not null || Street is not null || Building is not null || Apartment is not null
        || Name is not null || BirthDate is not null || Gender is not null || ChangesChannel;

    /// <summary>
    /// A patch that names friends or channel gives an import stored without them the extended shape: every
    /// citizen of it then has a channel (null) and friends ([]), and shows both keys.
    /// </summary>
    public bool NamesFriendsOrChannel => Friends is not null || ChangesChannel;

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
        Channel = ChangesChannel ? Channel : citizen.Channel,
        Friends = Friends ?? citizen.Friends ?? (NamesFriendsOrChannel ? [] : null),
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
