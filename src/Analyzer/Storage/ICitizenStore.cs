using System.Data.Common;
using Analyzer.Imports;

namespace Analyzer.Storage;

/// <summary>
/// Everything the API needs from a database. Two implementations: <see cref="PostgresStore"/>
/// (production) and <see cref="SqliteStore"/> (embedded default). Every query is scoped by import_id.
/// </summary>
public interface ICitizenStore : IAsyncDisposable
{
    DatabaseKind Kind { get; }

    /// <summary>Stores a validated import in one transaction and returns its new id.</summary>
    Task<long> CreateImportAsync(IReadOnlyList<Citizen> citizens, CancellationToken cancellationToken);

    /// <summary>The import's version (each PATCH adds one), or null for an unknown import.</summary>
    Task<long?> ImportVersionAsync(long importId, CancellationToken cancellationToken);

    /// <summary>Streams the citizens of an import (ordered by citizen_id) with their relatives.</summary>
    IAsyncEnumerable<Citizen> ReadCitizensAsync(long importId, CancellationToken cancellationToken);

    /// <summary>Applies a patch atomically; PATCHes of one import are serialised.</summary>
    Task<PatchOutcome> PatchCitizenAsync(long importId, int citizenId, CitizenPatch patch, CancellationToken cancellationToken);

    /// <summary>Each (citizen, relative's birth date) pair of an import (look the import up with <see cref="ImportVersionAsync"/>).</summary>
    Task<IReadOnlyList<RelativeBirthDate>> ReadRelativeBirthDatesAsync(long importId, CancellationToken cancellationToken);

    /// <summary>Each citizen's (town, birth date) of an import (look the import up with <see cref="ImportVersionAsync"/>).</summary>
    Task<IReadOnlyList<TownBirthDate>> ReadTownBirthDatesAsync(long importId, CancellationToken cancellationToken);

    /// <summary>Opens a connection, for migrations and health checks.</summary>
    Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);
}

/// <summary>A citizen and the birth date of one of its relatives.</summary>
public readonly record struct RelativeBirthDate(int CitizenId, DateOnly BirthDate);

public readonly record struct TownBirthDate(string Town, DateOnly BirthDate);

public enum PatchStatus { Updated, CitizenNotFound, UnknownRelatives }

public sealed record PatchOutcome(PatchStatus Status, Citizen? Citizen = null, IReadOnlyList<int>? UnknownRelatives = null);
