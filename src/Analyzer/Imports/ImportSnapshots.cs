using System.Collections.Concurrent;
using Analyzer.Observability;
using Analyzer.Storage;
using Microsoft.Extensions.Options;

namespace Analyzer.Imports;

/// <summary>All the citizens of an import at one version, ordered by citizen_id, each list in ascending order, as the database would give them.</summary>
public sealed record ImportSnapshot(long Version, Citizen[] Citizens);

/// <summary>
/// Recently used imports' citizens in memory, each at the version it was read or written at. GET citizens and the
/// analyses first read the import's version (one row by primary key); when this replica holds the import at that
/// version they use it instead of reading 10,000 rows, so an answer computed afresh after a PATCH costs one round
/// trip. Nothing is ever served at another version than the database's:
/// <list type="bullet">
/// <item>POST keeps the citizens it has just stored (version 0).</item>
/// <item>A PATCH, under the import's lock, read version v; once committed (v + 1) it applies itself to a snapshot at v,
/// exactly as its SQL changed the rows; a snapshot at any other version is dropped.</item>
/// <item>Another replica's PATCH leaves this replica's snapshot at an older version, which is then read again, whole, by
/// one statement that also reads the version (one snapshot of the database on both back ends).</item>
/// </list>
/// Bounded by <see cref="ImportsOptions.CitizenCacheMb"/>; an import bigger than a quarter of it is never held (its
/// readers use the queries that read only what they need).
/// </summary>
public sealed class ImportSnapshots
{
    private readonly Database database;
    private readonly AnalyzerMetrics metrics;
    private readonly long limitBytes;
    private readonly long importLimitBytes;

    // Least recently used last; guarded by gate, with heldBytes.
    private readonly object gate = new();
    private readonly Dictionary<long, LinkedListNode<Held>> held = [];
    private readonly LinkedList<Held> recency = new();
    private long heldBytes;

    // Imports found too big to hold: their size never changes (a PATCH changes fields and lists, not the citizens).
    private readonly ConcurrentDictionary<long, bool> tooLarge = new();

    private sealed record Held(long ImportId, ImportSnapshot Snapshot, long Bytes);

    public ImportSnapshots(Database database, IOptions<ImportsOptions> options, AnalyzerMetrics metrics)
    {
        this.database = database;
        this.metrics = metrics;
        limitBytes = options.Value.CitizenCacheMb * 1024L * 1024;
        importLimitBytes = limitBytes / 4;
    }

    /// <summary>
    /// The import at <paramref name="version"/> (or a later one, read meanwhile), from memory or read whole from the
    /// database and kept; null when snapshots are off, the import is too big to hold, or it has no citizens.
    /// </summary>
    public async Task<ImportSnapshot?> GetAsync(long importId, long version, CancellationToken cancellationToken)
    {
        if (limitBytes == 0 || tooLarge.ContainsKey(importId))
        {
            metrics.CitizenCacheMiss();
            return null;
        }
        if (TryGet(importId, version) is { } snapshot)
        {
            metrics.CitizenCacheHit();
            return snapshot;
        }
        metrics.CitizenCacheMiss();
        var (read, bytes, fits) = await ReadAsync(importId, cancellationToken);
        if (!fits)
        {
            MarkTooLarge(importId);
        }
        else if (read is not null)
        {
            Keep(importId, read, bytes);
        }
        return read;
    }

    private void MarkTooLarge(long importId)
    {
        if (tooLarge.Count >= 100_000)
        {
            tooLarge.Clear();
        }
        tooLarge[importId] = true;
    }

    /// <summary>About how many bytes the imports held take (what <see cref="ImportsOptions.CitizenCacheMb"/> bounds).</summary>
    public long HeldBytes => Interlocked.Read(ref heldBytes);

    /// <summary>The import at exactly <paramref name="version"/> if this replica holds it.</summary>
    private ImportSnapshot? TryGet(long importId, long version)
    {
        lock (gate)
        {
            if (!held.TryGetValue(importId, out var node) || node.Value.Snapshot.Version != version)
            {
                return null;
            }
            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value.Snapshot;
        }
    }

    /// <summary>
    /// A collector for POST: it gathers the citizens as they are stored, and gives up (dropping what it gathered) once
    /// they outgrow what an import may hold. A body of <paramref name="bodyBytes"/> too big to fit once read (its
    /// citizens take about 1.5 times its bytes) is not gathered at all.
    /// </summary>
    public Collector Collect(long bodyBytes) => new(bodyBytes * 3 / 2 <= importLimitBytes ? importLimitBytes : 0);

    /// <summary>Keeps what <paramref name="collector"/> gathered as the import's version 0 (a new import).</summary>
    public void KeepNew(long importId, Collector collector, bool hasFriendsAndChannels)
    {
        if (collector.Citizens is not { } citizens)
        {
            if (limitBytes > 0)
            {
                MarkTooLarge(importId); // so that no reader tries to read it whole first
            }
            return;
        }
        // As the database gives them back: lists sorted, friends and channel only in the extended shape. Most citizens
        // already are, and are kept as they are.
        var normalised = new Citizen[citizens.Count];
        var ordered = true;
        for (var i = 0; i < normalised.Length; i++)
        {
            var citizen = citizens[i];
            var relatives = Sorted(citizen.Relatives);
            IReadOnlyList<int>? friends = hasFriendsAndChannels ? Sorted(citizen.Friends ?? []) : null;
            var channel = hasFriendsAndChannels ? citizen.Channel : null;
            normalised[i] = ReferenceEquals(relatives, citizen.Relatives) && ReferenceEquals(friends, citizen.Friends) && channel == citizen.Channel
                ? citizen
                : citizen with { Relatives = relatives, Friends = friends, Channel = channel };
            ordered &= i == 0 || normalised[i - 1].CitizenId < citizen.CitizenId;
        }
        if (!ordered)
        {
            Array.Sort(normalised, (a, b) => a.CitizenId.CompareTo(b.CitizenId));
        }
        Keep(importId, new ImportSnapshot(0, normalised), collector.Bytes);
    }

    /// <summary>What a committed PATCH changed: the citizen as now stored and the ids whose lists gained or lost it.</summary>
    public sealed record Change(
        Citizen Updated, IReadOnlyList<int> RelativesLost, IReadOnlyList<int> RelativesGained,
        IReadOnlyList<int> FriendsLost, IReadOnlyList<int> FriendsGained, bool ShapeGainsFriendsAndChannels);

    /// <summary>
    /// Applies a PATCH committed from <paramref name="versionBefore"/> to <paramref name="versionBefore"/> + 1 to the
    /// snapshot at <paramref name="versionBefore"/>, if held; any other snapshot of the import is dropped.
    /// </summary>
    public void Patched(long importId, long versionBefore, Change change)
    {
        if (limitBytes == 0)
        {
            return;
        }
        lock (gate)
        {
            if (!held.TryGetValue(importId, out var node) || node.Value.Snapshot.Version != versionBefore)
            {
                Remove(importId);
                return;
            }
            var citizens = (Citizen[])node.Value.Snapshot.Citizens.Clone();
            if (change.ShapeGainsFriendsAndChannels)
            {
                for (var i = 0; i < citizens.Length; i++)
                {
                    citizens[i] = citizens[i] with { Friends = citizens[i].Friends ?? [] };
                }
            }
            var self = change.Updated.CitizenId;
            citizens[IndexOf(citizens, self)] = change.Updated with
            {
                Relatives = Sorted(change.Updated.Relatives),
                Friends = change.Updated.Friends is { } friends ? Sorted(friends) : null,
            };
            void Relink(IReadOnlyList<int> ids, Func<Citizen, Citizen> relink)
            {
                foreach (var id in ids)
                {
                    var i = IndexOf(citizens, id);
                    citizens[i] = relink(citizens[i]);
                }
            }
            Relink(change.RelativesLost, c => c with { Relatives = Without(c.Relatives, self) });
            Relink(change.RelativesGained, c => c with { Relatives = With(c.Relatives, self) });
            Relink(change.FriendsLost, c => c with { Friends = Without(c.Friends ?? [], self) });
            Relink(change.FriendsGained, c => c with { Friends = With(c.Friends ?? [], self) });
            // The size as before: a PATCH moves a few ids and maybe a few characters, which the estimate does not follow.
            Set(importId, new ImportSnapshot(versionBefore + 1, citizens), node.Value.Bytes);
        }
    }

    /// <summary>Drops a deleted import.</summary>
    public void Forget(long importId)
    {
        lock (gate)
        {
            Remove(importId);
        }
    }

    private void Keep(long importId, ImportSnapshot snapshot, long bytes)
    {
        lock (gate)
        {
            // A reader that raced a PATCH may bring an older version than the one the PATCH just left.
            if (held.TryGetValue(importId, out var node) && node.Value.Snapshot.Version > snapshot.Version)
            {
                return;
            }
            Set(importId, snapshot, bytes);
        }
    }

    /// <summary>
    /// Holds <paramref name="snapshot"/> (about <paramref name="bytes"/>, as its <see cref="Collector"/> counted them) as the
    /// import's, most recently used, dropping the least recently used beyond the limit. Under <see cref="gate"/>.
    /// </summary>
    private void Set(long importId, ImportSnapshot snapshot, long bytes)
    {
        Remove(importId);
        held[importId] = recency.AddFirst(new Held(importId, snapshot, bytes));
        heldBytes += bytes;
        while (heldBytes > limitBytes && recency.Last is { } oldest)
        {
            Remove(oldest.Value.ImportId);
        }
    }

    /// <summary>Under <see cref="gate"/>.</summary>
    private void Remove(long importId)
    {
        if (held.Remove(importId, out var node))
        {
            recency.Remove(node);
            heldBytes -= node.Value.Bytes;
        }
    }

    private const long SmallestCitizenBytes = 200;

    /// <summary>About what a citizen takes in memory: the record, its strings and its lists.</summary>
    internal static long SizeOf(Citizen citizen) =>
        SmallestCitizenBytes + 2L * (citizen.Town.Length + citizen.Street.Length + citizen.Building.Length + citizen.Name.Length + (citizen.Channel?.Length ?? 0))
        + 4L * (citizen.Relatives.Count + (citizen.Friends?.Count ?? 0));

    /// <summary>Run after <see cref="SqlDialect.InKeyOrder"/>: rows in the key's order, so the LIMIT stops the scan.</summary>
    internal static readonly string SelectSnapshot =
        "SELECT (SELECT version FROM imports WHERE import_id = @import_id), (SELECT has_friends_and_channels FROM imports WHERE import_id = @import_id), "
        + CitizenStore.SelectCitizens["SELECT ".Length..] + " ORDER BY citizen_id LIMIT @most";

    /// <summary>
    /// Every citizen of the import and the version they are at, read by one statement (so at one version). Not
    /// <c>Fits</c> when they outgrow what an import may hold: the statement asks for no more rows than could fit, and
    /// the read stops (the driver skips the rest) once their size is over. This happens once per import and replica:
    /// the import is then known to be too big (and a POST that could not keep its import says so at once).
    /// No snapshot either when no row came back: the import has no citizens, or was deleted meanwhile.
    /// </summary>
    private async Task<(ImportSnapshot? Snapshot, long Bytes, bool Fits)> ReadAsync(long importId, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginReadAsync(null, cancellationToken);
        await using var command = session.Command(database.Dialect.InKeyOrder + SelectSnapshot);
        command.AddParameter("@import_id", importId);
        command.AddParameter("@most", importLimitBytes / SmallestCitizenBytes + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var collector = new Collector(importLimitBytes);
        long? readVersion = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            readVersion ??= reader.GetInt64(0);
            collector.Add(CitizenStore.ReadCitizen(database.Dialect, reader, 2, reader.GetBoolean(1)));
            if (collector.Citizens is null)
            {
                return (null, 0, false);
            }
        }
        return readVersion is { } read ? (new ImportSnapshot(read, [.. collector.Citizens!]), collector.Bytes, true) : (null, 0, true);
    }

    private static int IndexOf(Citizen[] citizens, int citizenId)
    {
        int low = 0, high = citizens.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var id = citizens[middle].CitizenId;
            if (id == citizenId)
            {
                return middle;
            }
            (low, high) = id < citizenId ? (middle + 1, high) : (low, middle - 1);
        }
        throw new InvalidOperationException($"citizen {citizenId} is not in the snapshot"); // the PATCH proved it exists
    }

    private static IReadOnlyList<int> Sorted(IReadOnlyList<int> ids)
    {
        for (var i = 1; i < ids.Count; i++)
        {
            if (ids[i - 1] > ids[i])
            {
                var copy = ids.ToArray();
                Array.Sort(copy);
                return copy;
            }
        }
        return ids;
    }

    // As the SQL does: array_remove drops every occurrence; array_append adds at the end (the reader sorts).
    private static int[] Without(IReadOnlyList<int> ids, int id) => [.. ids.Where(other => other != id)];

    private static int[] With(IReadOnlyList<int> ids, int id)
    {
        var list = new int[ids.Count + 1];
        var at = 0;
        var placed = false;
        foreach (var other in ids)
        {
            if (!placed && other > id)
            {
                list[at++] = id;
                placed = true;
            }
            list[at++] = other;
        }
        if (!placed)
        {
            list[at] = id;
        }
        return list;
    }

    /// <summary>Gathers an import's citizens while they fit, counting their size: a POST's (<see cref="Collect"/>) or a read's.</summary>
    public sealed class Collector(long limitBytes)
    {
        /// <summary>About what the citizens gathered take (<see cref="SizeOf"/>).</summary>
        public long Bytes { get; private set; }

        /// <summary>What was gathered, or null when the import outgrew the limit (or snapshots are off).</summary>
        public List<Citizen>? Citizens { get; private set; } = limitBytes > 0 ? [] : null;

        public void Add(Citizen citizen)
        {
            if (Citizens is null)
            {
                return;
            }
            Bytes += SizeOf(citizen);
            if (Bytes > limitBytes)
            {
                Citizens = null;
                return;
            }
            Citizens.Add(citizen);
        }
    }
}
