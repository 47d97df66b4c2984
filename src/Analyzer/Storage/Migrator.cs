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
/// <para>
/// A script may run statements that a query writes, for what needs dynamic SQL (SQLite has none), such as
/// renaming every dataset's table: the query stands between a line <c>-- @run-generated-statements</c> and a
/// line <c>-- @end</c>, and each row it returns (one text column) is executed as a statement.
/// </para>
/// </summary>
public sealed partial class Migrator(Database database)
{
    public IReadOnlyList<Migration> Migrations { get; } = Load(database.Dialect);

    public int Head => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    public static IReadOnlyList<Migration> Load(SqlDialect dialect)
    {
        var folder = dialect.Name;
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
        await using var session = await BeginLockedAsync(cancellationToken);
        return (await AppliedAsync(session, cancellationToken)).Keys.DefaultIfEmpty(0).Max();
    }

    public async Task<IReadOnlyList<MigrationState>> HistoryAsync(CancellationToken cancellationToken)
    {
        await using var session = await BeginLockedAsync(cancellationToken);
        var applied = await AppliedAsync(session, cancellationToken);
        return [.. Migrations.Select(m => new MigrationState(m, applied.TryGetValue(m.Version, out var at) ? at : null))];
    }

    /// <summary>Applies every migration above the current version up to <paramref name="target"/> (default: the newest).</summary>
    public async Task<IReadOnlyList<Migration>> UpgradeAsync(int? target, CancellationToken cancellationToken)
    {
        var to = target ?? Head;
        CheckTarget(to);
        await using var session = await BeginLockedAsync(cancellationToken);
        var applied = await AppliedAsync(session, cancellationToken);
        var pending = Migrations.Where(m => m.Version <= to && !applied.ContainsKey(m.Version)).ToList();
        foreach (var migration in pending)
        {
            await RunScriptAsync(session, migration.UpSql, cancellationToken);
            await using var record = session.Command(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)");
            record.AddParameter("@version", migration.Version);
            record.AddParameter("@name", migration.Name);
            record.AddParameter("@applied_at", DateTime.UtcNow);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await session.CommitAsync(cancellationToken);
        return pending;
    }

    /// <summary>Reverts every applied migration above <paramref name="target"/>, newest first (0 reverts all).</summary>
    public async Task<IReadOnlyList<Migration>> DowngradeAsync(int target, CancellationToken cancellationToken)
    {
        if (target != 0)
        {
            CheckTarget(target);
        }
        await using var session = await BeginLockedAsync(cancellationToken);
        var applied = await AppliedAsync(session, cancellationToken);
        var reverted = Migrations.Where(m => m.Version > target && applied.ContainsKey(m.Version)).Reverse().ToList();
        foreach (var migration in reverted)
        {
            await RunScriptAsync(session, migration.DownSql, cancellationToken);
            await using var record = session.Command("DELETE FROM schema_migrations WHERE version = @version");
            record.AddParameter("@version", migration.Version);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await session.CommitAsync(cancellationToken);
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

    private async Task<DbSession> BeginLockedAsync(CancellationToken cancellationToken)
    {
        var session = await database.BeginWriteAsync(ResourceLock.Migrations, cancellationToken);
        await session.ExecuteAsync(
            $"CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at {database.Dialect.TimestampType} NOT NULL)",
            cancellationToken);
        return session;
    }

    private static async Task<Dictionary<int, DateTime>> AppliedAsync(DbSession session, CancellationToken cancellationToken)
    {
        await using var command = session.Command("SELECT version, applied_at FROM schema_migrations");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new Dictionary<int, DateTime>();
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetDateTime(1);
        }
        return applied;
    }

    /// <summary>Runs a script: its plain SQL as it stands, and the statements its generating queries return.</summary>
    private static async Task RunScriptAsync(DbSession session, string script, CancellationToken cancellationToken)
    {
        var parts = GeneratedStatements().Split(script);
        // Split keeps the captured query: plain, query, plain, query, ..., plain.
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 0)
            {
                if (!string.IsNullOrWhiteSpace(parts[i]))
                {
                    await session.ExecuteAsync(parts[i], cancellationToken);
                }
                continue;
            }
            var statements = new List<string>();
            await using (var query = session.Command(parts[i]))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    statements.Add(reader.GetString(0));
                }
            }
            foreach (var statement in statements)
            {
                await session.ExecuteAsync(statement, cancellationToken);
            }
        }
    }

    [GeneratedRegex(@"^--\s*@run-generated-statements\s*$(.*?)^--\s*@end\s*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex GeneratedStatements();
}
