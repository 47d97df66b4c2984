using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Analyzer.Storage;

public sealed record Migration(int Version, string Name, string UpSql, string DownSql);

public sealed record MigrationState(Migration Migration, DateTime? AppliedAt);

/// <summary>
/// Versioned up/down SQL scripts per back end (embedded from Storage/Migrations/{postgres,sqlite}),
/// recorded in <c>schema_migrations</c>. A whole upgrade or downgrade is one transaction under a lock
/// (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), so replicas starting together do not race.
/// </summary>
public sealed partial class Migrator(ICitizenStore store)
{
    /// <summary>The advisory lock key of migrations: "analyzer" in ASCII, far above any import id.</summary>
    private const long PostgresMigrationLockKey = 0x616E616C797A6572;

    public IReadOnlyList<Migration> Migrations { get; } = Load(store.Kind);

    public int Head => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    public static IReadOnlyList<Migration> Load(DatabaseKind kind)
    {
        var folder = kind == DatabaseKind.Postgres ? "postgres" : "sqlite";
        var assembly = typeof(Migrator).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Select(name => (name, match: ScriptName().Match(name)))
            .Where(x => x.match.Success && x.match.Groups["folder"].Value == folder)
            .Select(x => (
                version: int.Parse(x.match.Groups["version"].Value, CultureInfo.InvariantCulture),
                name: x.match.Groups["name"].Value,
                direction: x.match.Groups["direction"].Value,
                sql: Read(assembly, x.name)))
            .ToList();
        return [.. scripts
            .GroupBy(s => (s.version, s.name))
            .Select(g => new Migration(
                g.Key.version,
                g.Key.name,
                g.Single(s => s.direction == "up").sql,
                g.Single(s => s.direction == "down").sql))
            .OrderBy(m => m.Version)];
    }

    [GeneratedRegex(@"^migrations/(?<folder>\w+)/(?<version>\d{4})_(?<name>\w+)\.(?<direction>up|down)\.sql$")]
    private static partial Regex ScriptName();

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async Task<int> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginLockedAsync(connection, cancellationToken);
        return (await AppliedAsync(connection, transaction, cancellationToken)).Keys.DefaultIfEmpty(0).Max();
    }

    public async Task<IReadOnlyList<MigrationState>> HistoryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginLockedAsync(connection, cancellationToken);
        var applied = await AppliedAsync(connection, transaction, cancellationToken);
        return [.. Migrations.Select(m => new MigrationState(m, applied.TryGetValue(m.Version, out var at) ? at : null))];
    }

    /// <summary>Applies every migration above the current version up to <paramref name="target"/> (default: the newest).</summary>
    public async Task<IReadOnlyList<Migration>> UpgradeAsync(int? target, CancellationToken cancellationToken)
    {
        var to = target ?? Head;
        CheckTarget(to);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginLockedAsync(connection, cancellationToken);
        var applied = await AppliedAsync(connection, transaction, cancellationToken);
        var pending = Migrations.Where(m => m.Version <= to && !applied.ContainsKey(m.Version)).ToList();
        foreach (var migration in pending)
        {
            await ExecuteAsync(connection, transaction, migration.UpSql, cancellationToken);
            await using var record = connection.CreateCommand(transaction,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)");
            record.AddParameter("@version", migration.Version);
            record.AddParameter("@name", migration.Name);
            record.AddParameter("@applied_at", DateTime.UtcNow);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return pending;
    }

    /// <summary>Reverts every applied migration above <paramref name="target"/>, newest first (0 reverts all).</summary>
    public async Task<IReadOnlyList<Migration>> DowngradeAsync(int target, CancellationToken cancellationToken)
    {
        if (target != 0)
        {
            CheckTarget(target);
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginLockedAsync(connection, cancellationToken);
        var applied = await AppliedAsync(connection, transaction, cancellationToken);
        var reverted = Migrations.Where(m => m.Version > target && applied.ContainsKey(m.Version)).Reverse().ToList();
        foreach (var migration in reverted)
        {
            await ExecuteAsync(connection, transaction, migration.DownSql, cancellationToken);
            await using var record = connection.CreateCommand(transaction, "DELETE FROM schema_migrations WHERE version = @version");
            record.AddParameter("@version", migration.Version);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return reverted;
    }

    private void CheckTarget(int version)
    {
        if (Migrations.All(m => m.Version != version))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version,
                $"no migration has version {version}; known: {string.Join(", ", Migrations.Select(m => m.Version))}");
        }
    }

    private async Task<DbTransaction> BeginLockedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // SQLite: Microsoft.Data.Sqlite begins with BEGIN IMMEDIATE, which is the lock.
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (store.Kind == DatabaseKind.Postgres)
        {
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresMigrationLockKey})", cancellationToken);
        }
        var timestampType = store.Kind == DatabaseKind.Postgres ? "timestamptz" : "TEXT";
        await ExecuteAsync(connection, transaction,
            $"CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at {timestampType} NOT NULL)",
            cancellationToken);
        return transaction;
    }

    private static async Task<Dictionary<int, DateTime>> AppliedAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, "SELECT version, applied_at FROM schema_migrations");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new Dictionary<int, DateTime>();
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetDateTime(1);
        }
        return applied;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand(transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }


}
