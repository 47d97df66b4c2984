using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Analyzer.Tests.Storage;

public sealed class SqliteMigrationTests : MigrationTests
{
    private DirectoryInfo? directory;

    protected override Task<string> CreateEmptyDatabaseUrlAsync()
    {
        directory = Directory.CreateTempSubdirectory("analyzer-migrations-");
        return Task.FromResult("sqlite://" + Path.Combine(directory.FullName, "analyzer.db"));
    }

    protected override Task DeleteDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        directory?.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresMigrationTests : MigrationTests, IPostgresTests
{
    protected override async Task<string> CreateEmptyDatabaseUrlAsync() =>
        await (await PostgresCluster.Instance).CreateEmptyDatabaseAsync();
}

/// <summary>
/// The migrator on a database of its own per test, starting empty (no tables at all): every script reverts
/// cleanly, targets are honoured, the bookkeeping is right, and concurrent upgrades do not race.
/// </summary>
public abstract class MigrationTests : IAsyncLifetime
{
    private readonly List<Database> stores = [];

    private string url = "";

    /// <summary>A database with no tables, as a <c>--db</c> URL.</summary>
    protected abstract Task<string> CreateEmptyDatabaseUrlAsync();

    /// <summary>Removes the database after the test (every store is closed by then).</summary>
    protected virtual Task DeleteDatabaseAsync() => Task.CompletedTask;

    private Migrator Migrator { get; set; } = null!;

    private SqlDialect Dialect => stores[0].Dialect;

    public async Task InitializeAsync()
    {
        url = await CreateEmptyDatabaseUrlAsync();
        Migrator = new Migrator(OpenStore());
    }

    public async Task DisposeAsync()
    {
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        await DeleteDatabaseAsync();
    }

    private Database OpenStore()
    {
        var store = StorageServices.Open(url);
        stores.Add(store);
        return store;
    }

    [BackendFact]
    public async Task Migrations_are_numbered_and_reversible()
    {
        Assert.NotEmpty(Migrator.Migrations);
        Assert.Equal(Migrator.Migrations.Select(m => m.Version).Order().Distinct(), Migrator.Migrations.Select(m => m.Version));
        Assert.All(Migrator.Migrations, m => Assert.True(m.Version > 0 && !string.IsNullOrWhiteSpace(m.UpSql) && !string.IsNullOrWhiteSpace(m.DownSql), $"migration {m.Version} {m.Name}"));
        Assert.Equal(Migrator.Migrations[^1].Version, Migrator.Head);
        Assert.Empty(await SchemaAsync(includeBookkeeping: true));
    }

    [BackendFact]
    public async Task Every_migration_up_down_up_leaves_the_same_tables_and_indexes()
    {
        Assert.Equal(0, await Migrator.CurrentAsync(CancellationToken.None)); // creates schema_migrations
        var previous = 0;
        foreach (var migration in Migrator.Migrations)
        {
            var before = await SchemaAsync();

            Assert.Equal([migration], await Migrator.UpgradeAsync(migration.Version, CancellationToken.None));
            var afterUp = await SchemaAsync();
            Assert.Equal(migration.Version, await Migrator.CurrentAsync(CancellationToken.None));

            Assert.Equal([migration], await Migrator.DowngradeAsync(previous, CancellationToken.None));
            Assert.Equal(previous, await Migrator.CurrentAsync(CancellationToken.None));
            AssertSameSchema(before, await SchemaAsync(), $"after {migration.Version:D4} {migration.Name} up then down");

            Assert.Equal([migration], await Migrator.UpgradeAsync(migration.Version, CancellationToken.None));
            Assert.Equal(migration.Version, await Migrator.CurrentAsync(CancellationToken.None));
            AssertSameSchema(afterUp, await SchemaAsync(), $"after {migration.Version:D4} {migration.Name} up, down, up");

            previous = migration.Version;
        }
        Assert.Equal(Migrator.Head, await Migrator.CurrentAsync(CancellationToken.None));
    }

    [BackendFact]
    public async Task Upgrade_to_a_target_applies_only_the_migrations_up_to_it()
    {
        var headSchema = await UpgradedSchemaAsync(Migrator.Head);
        Assert.Equal(Migrator.Migrations.Reverse(), await Migrator.DowngradeAsync(0, CancellationToken.None));

        foreach (var target in Migrator.Migrations)
        {
            var expected = Migrator.Migrations.Where(m => m.Version <= target.Version).ToList();
            Assert.Equal(expected, await Migrator.UpgradeAsync(target.Version, CancellationToken.None));
            Assert.Equal(target.Version, await Migrator.CurrentAsync(CancellationToken.None));
            var history = await Migrator.HistoryAsync(CancellationToken.None);
            Assert.All(history, state => Assert.True(
                (state.AppliedAt is not null) == (state.Migration.Version <= target.Version),
                $"upgraded to {target.Version}: {state.Migration.Version} has AppliedAt {state.AppliedAt}"));
            if (target.Version == Migrator.Head)
            {
                AssertSameSchema(headSchema, await SchemaAsync(), "upgraded step by step vs. in one go");
            }

            // A target below the current version is not a downgrade: nothing happens.
            if (target.Version > Migrator.Migrations[0].Version)
            {
                Assert.Empty(await Migrator.UpgradeAsync(Migrator.Migrations[0].Version, CancellationToken.None));
                Assert.Equal(target.Version, await Migrator.CurrentAsync(CancellationToken.None));
            }

            Assert.Equal(expected.AsEnumerable().Reverse(), await Migrator.DowngradeAsync(0, CancellationToken.None));
            Assert.Equal(0, await Migrator.CurrentAsync(CancellationToken.None));
        }
    }

    [BackendFact]
    public async Task Current_and_history_report_applied_and_pending_migrations()
    {
        Assert.Equal(0, await Migrator.CurrentAsync(CancellationToken.None));
        var history = await Migrator.HistoryAsync(CancellationToken.None);
        Assert.Equal(Migrator.Migrations, history.Select(s => s.Migration));
        Assert.All(history, state => Assert.Null(state.AppliedAt));

        var first = Migrator.Migrations[0];
        var beforeUpgrade = DateTime.UtcNow;
        await Migrator.UpgradeAsync(first.Version, CancellationToken.None);
        var afterUpgrade = DateTime.UtcNow;

        Assert.Equal(first.Version, await Migrator.CurrentAsync(CancellationToken.None));
        history = await Migrator.HistoryAsync(CancellationToken.None);
        Assert.Equal(Migrator.Migrations, history.Select(s => s.Migration));
        var appliedAt = Assert.IsType<DateTime>(history[0].AppliedAt);
        // applied_at is UTC (SQLite reads it back without a kind); allow for rounding to the database's precision.
        Assert.InRange(appliedAt.Ticks, beforeUpgrade.AddSeconds(-1).Ticks, afterUpgrade.AddSeconds(1).Ticks);
        Assert.All(history.Skip(1), state => Assert.Null(state.AppliedAt));

        await Migrator.UpgradeAsync(null, CancellationToken.None);
        Assert.Equal(Migrator.Head, await Migrator.CurrentAsync(CancellationToken.None));
        history = await Migrator.HistoryAsync(CancellationToken.None);
        Assert.Equal(Migrator.Migrations, history.Select(s => s.Migration));
        Assert.All(history, state => Assert.NotNull(state.AppliedAt));
        Assert.Equal(appliedAt, history[0].AppliedAt); // the first one was not re-applied

        // Another migrator (another process) on the same database sees the same.
        var other = new Migrator(OpenStore());
        Assert.Equal(Migrator.Head, await other.CurrentAsync(CancellationToken.None));
        Assert.Equal(history, await other.HistoryAsync(CancellationToken.None));
    }

    [BackendFact]
    public async Task Downgrade_to_zero_leaves_only_schema_migrations()
    {
        await Migrator.UpgradeAsync(null, CancellationToken.None);
        Assert.NotEmpty(await SchemaAsync());

        var reverted = await Migrator.DowngradeAsync(0, CancellationToken.None);

        Assert.Equal(Migrator.Migrations.Reverse(), reverted);
        Assert.Equal(0, await Migrator.CurrentAsync(CancellationToken.None));
        var schema = await SchemaAsync(includeBookkeeping: true);
        Assert.Equal(["schema_migrations"], schema.Where(o => o.Kind == "table").Select(o => o.Name));
        Assert.All(schema, o => Assert.Equal("schema_migrations", o.Table));
        Assert.Empty(await SchemaAsync());
        Assert.All(await Migrator.HistoryAsync(CancellationToken.None), state => Assert.Null(state.AppliedAt));

        // Downgrading an empty schema again does nothing; upgrading still works.
        Assert.Empty(await Migrator.DowngradeAsync(0, CancellationToken.None));
        Assert.Equal(Migrator.Migrations, await Migrator.UpgradeAsync(null, CancellationToken.None));
    }

    [BackendFact]
    public async Task Upgrading_an_up_to_date_database_applies_nothing()
    {
        Assert.Equal(Migrator.Migrations, await Migrator.UpgradeAsync(null, CancellationToken.None));
        var schema = await SchemaAsync(includeBookkeeping: true);
        var history = await Migrator.HistoryAsync(CancellationToken.None);

        Assert.Empty(await Migrator.UpgradeAsync(null, CancellationToken.None));
        Assert.Empty(await Migrator.UpgradeAsync(Migrator.Head, CancellationToken.None));
        Assert.Empty(await new Migrator(OpenStore()).UpgradeAsync(null, CancellationToken.None));

        Assert.Equal(Migrator.Head, await Migrator.CurrentAsync(CancellationToken.None));
        Assert.Equal(history, await Migrator.HistoryAsync(CancellationToken.None));
        AssertSameSchema(schema, await SchemaAsync(includeBookkeeping: true), "after upgrading an up-to-date database");
    }

    [BackendFact]
    public async Task An_unknown_target_throws_and_changes_nothing()
    {
        var unknown = Migrator.Head + 1;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.UpgradeAsync(unknown, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.DowngradeAsync(unknown, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.UpgradeAsync(-1, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.DowngradeAsync(-1, CancellationToken.None));
        Assert.Equal(0, await Migrator.CurrentAsync(CancellationToken.None));

        await Migrator.UpgradeAsync(null, CancellationToken.None);
        var schema = await SchemaAsync(includeBookkeeping: true);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.UpgradeAsync(99_999, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Migrator.DowngradeAsync(99_999, CancellationToken.None));
        Assert.Equal(Migrator.Head, await Migrator.CurrentAsync(CancellationToken.None));
        AssertSameSchema(schema, await SchemaAsync(includeBookkeeping: true), "after unknown targets");
    }

    /// <summary>
    /// Migration 0006 moves the tables of existing datasets into the datasets' namespace (a schema on
    /// PostgreSQL, a name prefix on SQLite) with their rows, and rewrites their DDL; its down script moves
    /// them back.
    /// </summary>
    [BackendFact]
    public async Task Migration_6_moves_existing_dataset_tables_into_their_namespace_and_back()
    {
        var namespaced = Migrator.Migrations.Single(m => m.Name == "dataset_namespace").Version;
        await Migrator.UpgradeAsync(namespaced - 1, CancellationToken.None);
        var database = stores[0];
        var dialect = database.Dialect;
        var oldDdl = $"CREATE TABLE \"airports\" (\n    {dialect.IdentityKey("\"id\"")},\n    \"name\" {dialect.TextType} NOT NULL,\n"
            + $"    \"deleted_at\" {dialect.TimestampType}\n){dialect.TableOptions}";
        await using (var session = await database.BeginWriteAsync(null, CancellationToken.None))
        {
            await session.ExecuteAsync(oldDdl, CancellationToken.None);
            await session.ExecuteAsync("INSERT INTO \"airports\" (\"name\") VALUES ('Goroka')", CancellationToken.None);
            await using var entry = session.Command(
                "INSERT INTO datasets (name, columns, ddl, source_file, row_count, created_at, updated_at)"
                + $" VALUES ('airports', {dialect.Json("@columns")}, @ddl, NULL, 1, @now, @now)");
            entry.AddParameter("@columns", """[{"name":"name","type":"text","nullable":false}]""");
            entry.AddParameter("@ddl", oldDdl);
            entry.AddParameter("@now", dialect.ToParameter(DateTimeOffset.UtcNow));
            await entry.ExecuteNonQueryAsync();
            await session.CommitAsync(CancellationToken.None);
        }

        await Migrator.UpgradeAsync(namespaced, CancellationToken.None);

        Assert.Equal("Goroka", await ScalarAsync($"SELECT \"name\" FROM {dialect.DatasetTable("airports")}"));
        Assert.Equal(oldDdl.Replace("\"airports\"", dialect.DatasetTable("airports"), StringComparison.Ordinal),
            await ScalarAsync("SELECT ddl FROM datasets WHERE name = 'airports'"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ScalarAsync("SELECT \"name\" FROM \"airports\""));

        await Migrator.DowngradeAsync(namespaced - 1, CancellationToken.None);

        Assert.Equal("Goroka", await ScalarAsync("SELECT \"name\" FROM \"airports\""));
        Assert.Equal(oldDdl, await ScalarAsync("SELECT ddl FROM datasets WHERE name = 'airports'"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ScalarAsync($"SELECT \"name\" FROM {dialect.DatasetTable("airports")}"));
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var session = await stores[0].ConnectAsync(CancellationToken.None);
        await using var command = session.Command(sql);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Replicas starting together on one database: every concurrent UpgradeAsync succeeds and each migration is
    /// applied exactly once (the advisory lock / BEGIN IMMEDIATE). Races are timing-dependent, so a few rounds of
    /// each starting point: a brand-new database (no schema_migrations yet), an emptied one, a partly migrated one.
    /// </summary>
    [BackendTheory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Concurrent_upgrades_all_succeed_and_apply_each_migration_once(int concurrency)
    {
        var racers = Enumerable.Range(0, concurrency).Select(_ => new Migrator(OpenStore())).ToList();

        await RaceUpgradesAsync(racers, Migrator.Migrations, "a new database");
        for (var round = 1; round <= 5; round++)
        {
            await Migrator.DowngradeAsync(0, CancellationToken.None);
            await RaceUpgradesAsync(racers, Migrator.Migrations, $"round {round}, an emptied database");

            await Migrator.DowngradeAsync(0, CancellationToken.None);
            await Migrator.UpgradeAsync(Migrator.Migrations[0].Version, CancellationToken.None);
            await RaceUpgradesAsync(racers, Migrator.Migrations.Skip(1), $"round {round}, a database at {Migrator.Migrations[0].Version}");
        }
    }

    private async Task RaceUpgradesAsync(IReadOnlyList<Migrator> racers, IEnumerable<Migration> pending, string what)
    {
        using var start = new Barrier(racers.Count);
        var results = await Task.WhenAll(racers.Select(racer => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            return racer.UpgradeAsync(null, CancellationToken.None);
        })));

        var applied = results.SelectMany(r => r).OrderBy(m => m.Version).Select(m => m.Version).ToList();
        Assert.True(pending.Select(m => m.Version).SequenceEqual(applied), $"{what}: applied {string.Join(", ", applied)}");
        Assert.Equal(Migrator.Head, await Migrator.CurrentAsync(CancellationToken.None));
        Assert.Equal(Migrator.Migrations.Select(m => m.Version), await RecordedVersionsAsync());
        Assert.All(await Migrator.HistoryAsync(CancellationToken.None), state => Assert.NotNull(state.AppliedAt));
    }

    /// <summary>A table, index, sequence or view of the database, with enough of its definition to tell two apart.</summary>
    protected sealed record SchemaObject(string Kind, string Name, string Table, string Definition);

    private static void AssertSameSchema(IReadOnlyList<SchemaObject> expected, IReadOnlyList<SchemaObject> actual, string when)
    {
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{when}: missing {string.Join("; ", missing)} | unexpected {string.Join("; ", extra)}");
    }

    private async Task<IReadOnlyList<SchemaObject>> UpgradedSchemaAsync(int target)
    {
        await Migrator.UpgradeAsync(target, CancellationToken.None);
        return await SchemaAsync();
    }

    /// <summary>The database's tables, indexes, sequences and views; schema_migrations only when asked.</summary>
    private async Task<IReadOnlyList<SchemaObject>> SchemaAsync(bool includeBookkeeping = false)
    {
        var sql = Dialect == SqlDialect.Postgres ? PostgresSchemaQuery : SqliteSchemaQuery;
        await using var session = await stores[0].ConnectAsync(CancellationToken.None);
        await using var command = session.Command(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var objects = new List<SchemaObject>();
        while (await reader.ReadAsync())
        {
            objects.Add(new SchemaObject(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return [.. objects
            .Where(o => includeBookkeeping || o.Table != "schema_migrations")
            .OrderBy(o => o.Kind, StringComparer.Ordinal)
            .ThenBy(o => o.Name, StringComparer.Ordinal)];
    }

    private async Task<List<int>> RecordedVersionsAsync()
    {
        await using var session = await stores[0].ConnectAsync(CancellationToken.None);
        await using var command = session.Command("SELECT version FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }
        return versions;
    }

    /// <summary>sqlite_master keeps each object's CREATE statement as written; SQLite's own tables are left out.</summary>
    private const string SqliteSchemaQuery = """
        SELECT type, name, tbl_name, COALESCE(sql, '')
        FROM sqlite_master
        WHERE name <> 'sqlite_sequence' AND name NOT LIKE 'sqlite\_stat%' ESCAPE '\'
        """;

    /// <summary>Relations of the current schema: tables with their columns, defaults and constraints, indexes with their definition.</summary>
    private const string PostgresSchemaQuery = """
        SELECT CASE WHEN c.relkind IN ('i', 'I') THEN 'index'
                    WHEN c.relkind = 'S' THEN 'sequence'
                    WHEN c.relkind IN ('v', 'm') THEN 'view'
                    ELSE 'table' END,
               c.relname::text,
               COALESCE(t.relname, d.refobjid::regclass::text, c.relname)::text,
               CASE WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid)
                    WHEN c.relkind IN ('r', 'p') THEN
                        (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                    || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                                    || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
                                                          WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
                                    || COALESCE(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
                                    ', ' ORDER BY a.attnum)
                         FROM pg_attribute a
                         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
                        || COALESCE((SELECT '; ' || string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname)
                                     FROM pg_constraint k WHERE k.conrelid = c.oid), '')
                    WHEN c.relkind = 'S' THEN
                        (SELECT format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
                         FROM pg_sequence s WHERE s.seqrelid = c.oid)
                    ELSE COALESCE(pg_get_viewdef(c.oid), '') END
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_index i ON i.indexrelid = c.oid
        LEFT JOIN pg_class t ON t.oid = i.indrelid
        LEFT JOIN pg_depend d ON c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm')
        """;
}
