using System.Net;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Cli;

/// <summary>The real executable (<c>dotnet analyzer.dll</c>) in a fresh working directory: options, exit codes, db commands, serve.</summary>
public sealed class CliTests : IDisposable
{
    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-cli-");

    private string WorkingDirectory => workingDirectory.FullName;

    private static readonly IReadOnlyList<Migration> Migrations = Migrator.Load(SqlDialect.Sqlite);

    private static int Head => Migrations[^1].Version;

    public void Dispose() => workingDirectory.Delete(recursive: true);

    private Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        AnalyzerProcess.RunAsync(WorkingDirectory, environment, arguments);

    private Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    /// <summary>Runs <c>analyzer db ARGUMENTS [--db URL]</c>, which must succeed quietly on stderr.</summary>
    private async Task<ProcessResult> DbAsync(string? databaseUrl, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var result = await RunAsync(environment, ["db", .. arguments, .. databaseUrl is null ? Array.Empty<string>() : ["--db", databaseUrl]]);
        Assert.True(result.ExitCode == 0 && result.StandardError.Length == 0, $"db {string.Join(' ', arguments)}: {result}");
        return result;
    }

    private Task<ProcessResult> DbAsync(string databaseUrl, params string[] arguments) => DbAsync(databaseUrl, null, arguments);

    private async Task AssertCurrentAsync(string databaseUrl, int expected)
    {
        var current = await DbAsync(databaseUrl, "current");
        Assert.Equal($"{expected:D4} (head: {Head:D4})", Assert.Single(current.OutputLines));
    }

    /// <summary>The one line a failing command prints: "analyzer: ..." and no stack trace.</summary>
    private static string AssertOneErrorLine(ProcessResult result) => result.AssertOneErrorLine();

    [BackendTheory]
    [InlineData("--help")]
    [InlineData("serve --help")]
    public async Task Help_lists_every_serve_option_with_its_environment_variable(string commandLine)
    {
        var result = await RunAsync(commandLine.Split(' '));

        Assert.True(result.ExitCode == 0, result.ToString());
        // Help entries, continuation lines (if the description wraps) joined to the entry they continue.
        var entries = new List<string>();
        var inOptions = false;
        foreach (var line in result.StandardOutput.Split('\n').Select(l => l.TrimEnd()))
        {
            if (line.Length == 0 || !char.IsWhiteSpace(line[0]))
            {
                inOptions = line == "Options:";
            }
            else if (inOptions && line.TrimStart().StartsWith('-'))
            {
                entries.Add(line.Trim());
            }
            else if (inOptions && entries.Count > 0)
            {
                entries[^1] += " " + line.Trim();
            }
        }
        foreach (var (option, variable) in new Dictionary<string, string>
        {
            ["--api-address"] = "ANALYZER_API_ADDRESS",
            ["--api-port"] = "ANALYZER_API_PORT",
            ["--db"] = "ANALYZER_DB",
            ["--log-level"] = "ANALYZER_LOG_LEVEL",
            ["--no-migrate"] = "ANALYZER_NO_MIGRATE",
            ["--max-request-body-bytes"] = "ANALYZER_MAX_REQUEST_BODY_BYTES",
        })
        {
            var entry = entries.SingleOrDefault(e => e.StartsWith(option + " ", StringComparison.Ordinal));
            Assert.True(entry is not null, $"{commandLine} does not list {option}:\n{result.StandardOutput}");
            Assert.Contains(variable, entry, StringComparison.Ordinal);
        }
    }

    [BackendTheory]
    [InlineData("--db mysql://x")]
    [InlineData("--db postgresql://host")]
    [InlineData("serve --db mysql://x")]
    [InlineData("db upgrade --db mysql://x")]
    [InlineData("db current --db postgresql://host")]
    public async Task A_bad_database_url_exits_2_with_one_error_line(string commandLine)
    {
        var result = await RunAsync(commandLine.Split(' '));

        Assert.True(result.ExitCode == 2, result.ToString());
        AssertOneErrorLine(result);
    }

    [BackendFact]
    public async Task Db_commands_migrate_a_sqlite_file_and_print_what_they_did()
    {
        Assert.True(Migrations.Count >= 2 && Migrations[0].Version == 1, "these steps need migrations 1 and 2");
        const string db = "sqlite:cli.db";
        string[] Reverted(IEnumerable<Migration> migrations) => [.. migrations.Reverse().Select(m => $"reverted {m.Version:D4} {m.Name}")];
        string[] Upgraded(IEnumerable<Migration> migrations) => [.. migrations.Select(m => $"upgraded to {m.Version:D4} {m.Name}")];

        await AssertCurrentAsync(db, 0);
        Assert.True(File.Exists(Path.Combine(WorkingDirectory, "cli.db")), "sqlite:cli.db is relative to the working directory");

        var upgrade = await DbAsync(db, "upgrade");
        Assert.Equal([.. Upgraded(Migrations), $"current: {Head:D4}"], upgrade.OutputLines);
        await AssertCurrentAsync(db, Head);

        var history = await DbAsync(db, "history");
        Assert.Equal(Migrations.Count, history.OutputLines.Length);
        Assert.All(Migrations.Zip(history.OutputLines), pair =>
        {
            Assert.StartsWith($"{pair.First.Version:D4} {pair.First.Name} ", pair.Second, StringComparison.Ordinal);
            Assert.Contains("applied ", pair.Second, StringComparison.Ordinal);
        });

        var downgrade = await DbAsync(db, "downgrade", "1");
        Assert.Equal([.. Reverted(Migrations.Where(m => m.Version > 1)), "current: 0001"], downgrade.OutputLines);
        await AssertCurrentAsync(db, 1);

        history = await DbAsync(db, "history");
        Assert.Equal(Migrations.Count, history.OutputLines.Length);
        Assert.Contains("applied ", history.OutputLines[0], StringComparison.Ordinal);
        Assert.All(history.OutputLines.Skip(1), line => Assert.EndsWith(" pending", line, StringComparison.Ordinal));

        var toBase = await DbAsync(db, "downgrade", "base");
        Assert.Equal([.. Reverted(Migrations.Where(m => m.Version <= 1)), "current: 0000"], toBase.OutputLines);
        await AssertCurrentAsync(db, 0);
        history = await DbAsync(db, "history");
        Assert.All(history.OutputLines, line => Assert.EndsWith(" pending", line, StringComparison.Ordinal));

        var upgradeOne = await DbAsync(db, "upgrade", "1");
        Assert.Equal([.. Upgraded(Migrations.Where(m => m.Version <= 1)), "current: 0001"], upgradeOne.OutputLines);
        await AssertCurrentAsync(db, 1);

        var again = await DbAsync(db, "upgrade", "1");
        Assert.Equal(["current: 0001"], again.OutputLines);
    }

    [BackendTheory]
    [InlineData("downgrade 99")]
    [InlineData("upgrade 99")]
    [InlineData("downgrade abc")]
    [InlineData("upgrade -1")]
    public async Task An_unknown_migration_target_exits_2_and_changes_nothing(string command)
    {
        const string db = "sqlite:cli.db";
        await DbAsync(db, "upgrade");

        var result = await RunAsync(["db", .. command.Split(' '), "--db", db]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = AssertOneErrorLine(result);
        Assert.Contains(command.Split(' ')[1], line, StringComparison.Ordinal);
        await AssertCurrentAsync(db, Head);
    }

    [BackendTheory]
    [InlineData("ANALYZER_API_PORT", "abc", "")]
    [InlineData("ANALYZER_API_PORT", "abc", "serve")]
    [InlineData("ANALYZER_API_PORT", "70000", "")]
    [InlineData("ANALYZER_LOG_LEVEL", "loud", "")]
    [InlineData("ANALYZER_NO_MIGRATE", "maybe", "")]
    [InlineData("ANALYZER_MAX_REQUEST_BODY_BYTES", "-5", "serve")]
    public async Task An_invalid_environment_variable_is_an_error_naming_it(string variable, string value, string verb)
    {
        // Should the value be accepted by mistake, the service would start: keep it on loopback and a file of this test.
        string[] arguments = ["--api-address", "127.0.0.1", "--db", "sqlite:cli.db"];
        if (variable != "ANALYZER_API_PORT")
        {
            arguments = [.. arguments, "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)];
        }
        var result = await RunAsync(new Dictionary<string, string> { [variable] = value }, [.. verb.Length > 0 ? [verb] : Array.Empty<string>(), .. arguments]);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(variable, result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task The_db_comes_from_ANALYZER_DB_when_the_option_is_absent()
    {
        var environment = new Dictionary<string, string> { ["ANALYZER_DB"] = "sqlite:from-env/env.db" };

        var upgrade = await DbAsync(null, environment, "upgrade");

        Assert.Equal($"current: {Head:D4}", upgrade.OutputLines[^1]);
        Assert.True(File.Exists(Path.Combine(WorkingDirectory, "from-env", "env.db")), "ANALYZER_DB names the database (its folder created on demand)");
        Assert.False(Directory.Exists(Path.Combine(WorkingDirectory, "data")), "the default database must not be used");
        var current = await DbAsync(null, environment, "current");
        Assert.StartsWith($"{Head:D4} ", Assert.Single(current.OutputLines), StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task The_db_option_wins_over_ANALYZER_DB()
    {
        var environment = new Dictionary<string, string> { ["ANALYZER_DB"] = "sqlite:env.db" };

        await DbAsync("sqlite:cli.db", environment, "upgrade");

        Assert.True(File.Exists(Path.Combine(WorkingDirectory, "cli.db")));
        Assert.False(File.Exists(Path.Combine(WorkingDirectory, "env.db")), "--db must win over ANALYZER_DB");
        await AssertCurrentAsync("sqlite:cli.db", Head);

        // An ANALYZER_DB that is not even valid does not matter when --db is given.
        var invalidEnvironment = new Dictionary<string, string> { ["ANALYZER_DB"] = "mysql://x" };
        var current = await DbAsync("sqlite:cli.db", invalidEnvironment, "current");
        Assert.StartsWith($"{Head:D4} ", Assert.Single(current.OutputLines), StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task Db_commands_use_the_default_database_relative_to_the_working_directory()
    {
        await DbAsync(null, new Dictionary<string, string>(), "upgrade");

        Assert.True(File.Exists(Path.Combine(WorkingDirectory, "data", "analyzer.db")), "the default is sqlite:data/analyzer.db");
    }

    /// <summary>How a serve test names its database.</summary>
    public enum DbSource { Default, Environment, Option }

    [BackendTheory]
    [InlineData("serve", DbSource.Default)]
    [InlineData("", DbSource.Default)]
    [InlineData("serve", DbSource.Environment)]
    [InlineData("", DbSource.Option)]
    public async Task Serve_answers_health_and_imports_and_exits_0_on_SIGTERM(string verb, DbSource source)
    {
        var absolute = Path.Combine(WorkingDirectory, "absolute", "option.db");
        (Dictionary<string, string>? Environment, string[] Arguments, string File) setup = source switch
        {
            DbSource.Default => (null, [], Path.Combine(WorkingDirectory, "data", "analyzer.db")),
            DbSource.Environment => (new Dictionary<string, string> { ["ANALYZER_DB"] = "sqlite:env-data/env.db" }, [], Path.Combine(WorkingDirectory, "env-data", "env.db")),
            _ => (null, ["--db", "sqlite://" + absolute], absolute),
        };
        var (environment, arguments, file) = setup;

        await using var server = await AnalyzerServer.StartAsync(WorkingDirectory, environment, [.. verb.Length > 0 ? [verb] : Array.Empty<string>(), .. arguments]);

        using (var health = await server.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        Assert.Equal(1, await server.Client.CreateImportAsync(Import(Citizen(1))));
        Assert.Single(await server.Client.GetCitizensAsync(1));

        var exit = await server.TerminateAsync();

        Assert.True(exit.ExitCode == 0, $"SIGTERM must stop the service cleanly: {exit}");
        Assert.DoesNotContain("   at ", exit.StandardOutput + exit.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(file), $"the database should be at {file}");
        var databaseUrl = "sqlite://" + file;
        await AssertCurrentAsync(databaseUrl, Head); // serve migrated it at start
    }
}

/// <summary>The executable on PostgreSQL: serve migrates at start, or with --no-migrate refuses a schema that is behind.</summary>
public sealed class PostgresCliTests : IPostgresTests, IDisposable
{
    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-cli-pg-");

    private string WorkingDirectory => workingDirectory.FullName;

    public void Dispose() => workingDirectory.Delete(recursive: true);

    private static async Task<int> CurrentVersionAsync(string databaseUrl)
    {
        await using var store = StorageServices.Open(databaseUrl);
        return await new Migrator(store).CurrentAsync(CancellationToken.None);
    }

    [BackendFact]
    public async Task Serve_migrates_an_empty_database_at_start()
    {
        var databaseUrl = await (await PostgresCluster.Instance).CreateEmptyDatabaseAsync();

        await using var server = await AnalyzerServer.StartAsync(WorkingDirectory, null, "serve", "--db", databaseUrl);

        using (var health = await server.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        Assert.Equal(Migrator.Load(SqlDialect.Postgres)[^1].Version, await CurrentVersionAsync(databaseUrl));
        var importId = await server.Client.CreateImportAsync(Import(Citizen(1)));
        Assert.Single(await server.Client.GetCitizensAsync(importId));

        var exit = await server.TerminateAsync();
        Assert.True(exit.ExitCode == 0, $"SIGTERM must stop the service cleanly: {exit}");
    }

    /// <summary>
    /// Issue 9 changed this: the service used to start "healthy" on an empty database with --no-migrate and answer
    /// 500 to every call; now it refuses to serve with one line naming <c>analyzer db upgrade</c>, and still leaves the database alone.
    /// </summary>
    [BackendTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_no_migrate_an_empty_database_stays_empty_and_serve_refuses_naming_db_upgrade(bool asOption)
    {
        var databaseUrl = await (await PostgresCluster.Instance).CreateEmptyDatabaseAsync();
        var environment = asOption ? null : new Dictionary<string, string> { ["ANALYZER_NO_MIGRATE"] = "true" };
        string[] arguments = asOption ? ["--db", databaseUrl, "--no-migrate"] : ["--db", databaseUrl];

        var result = await AnalyzerProcess.RunAsync(WorkingDirectory, environment,
            [.. arguments, "--api-address", "127.0.0.1", "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("analyzer db upgrade", line, StringComparison.Ordinal);
        foreach (var leak in (string[])["   at ", "Exception", "Npgsql", "42P01"])
        {
            Assert.DoesNotContain(leak, result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        }
        Assert.Equal(0, await CurrentVersionAsync(databaseUrl));
    }

    [BackendFact]
    public async Task Db_commands_migrate_a_postgres_database()
    {
        var databaseUrl = await (await PostgresCluster.Instance).CreateEmptyDatabaseAsync();
        var migrations = Migrator.Load(SqlDialect.Postgres);

        var upgrade = await AnalyzerProcess.RunAsync(WorkingDirectory, null, "db", "upgrade", "--db", databaseUrl);
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        Assert.Equal([.. migrations.Select(m => $"upgraded to {m.Version:D4} {m.Name}"), $"current: {migrations[^1].Version:D4}"], upgrade.OutputLines);

        var downgrade = await AnalyzerProcess.RunAsync(WorkingDirectory, null, "db", "downgrade", "base", "--db", databaseUrl);
        Assert.True(downgrade.ExitCode == 0, downgrade.ToString());
        Assert.Equal("current: 0000", downgrade.OutputLines[^1]);
        Assert.Equal(0, await CurrentVersionAsync(databaseUrl));
    }
}
