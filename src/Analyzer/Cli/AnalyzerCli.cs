using System.CommandLine;
using System.Globalization;
using Analyzer.Auth;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Analyzer.Cli;

/// <summary>
/// <c>analyzer [serve] [options]</c>, <c>analyzer db upgrade|downgrade|current|history</c> and <c>analyzer health</c> (<see cref="HealthProbe"/>).
/// The options of <c>serve</c> are the declared settings (<see cref="Settings"/>, <see cref="SettingOptions"/>):
/// each also reads ANALYZER_&lt;NAME&gt; from the environment; the command line wins.
/// </summary>
public static class AnalyzerCli
{
    public const int ExitUsage = 2;
    public const int ExitFailure = 1;

    public static Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"analyzer: {error.Message}");
            }
            Console.Error.WriteLine("analyzer: see 'analyzer --help'");
            return Task.FromResult(ExitUsage);
        }
        // The host handles SIGTERM/Ctrl+C itself: System.CommandLine must not cancel the serve action.
        return parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <param name="environment">The ANALYZER_* variables (default: this process's, <see cref="SettingOptions.ReadEnvironment"/>).</param>
    public static RootCommand Create(IConfiguration? environment = null)
    {
        var settings = new SettingOptions(environment ?? SettingOptions.ReadEnvironment());
        var db = settings.Get((StorageOptions o) => o.Db);
        var serve = new Command("serve", "Run the web service (the default when no command is given)");
        foreach (var option in settings.All)
        {
            serve.Options.Add(option);
        }
        serve.SetAction((parse, cancellationToken) => ServeAsync(parse, settings));

        var root = new RootCommand("Analyzer: stores data sets of citizens and answers analytical questions about them.")
        {
            serve,
            DbCommand(db, settings),
            new AuthCli(settings).TokenCommand(db),
            new UsersCli(settings).UsersCommand(db),
            HealthProbe.Command(settings),
            Events.EventsTail.Command(settings),
        };
        foreach (var option in serve.Options)
        {
            root.Options.Add(option);
        }
        root.Action = serve.Action;
        return root;
    }

    private static async Task<int> ServeAsync(ParseResult parse, SettingOptions settings)
    {
        if (settings.Validate(parse) is { } error)
        {
            return Fail(ExitUsage, error);
        }
        var auth = settings.Bind<AuthOptions>(parse);
        if (!AuthKeys.TryLoad(auth, out _, out var authError))
        {
            return Fail(ExitUsage, authError);
        }
        var web = settings.Bind<WebOptions>(parse);
        var addressOption = settings.NameOf<WebOptions>(parse, nameof(WebOptions.ApiAddress));
        var portOption = settings.NameOf<WebOptions>(parse, nameof(WebOptions.ApiPort));
        if (!ListenAddress.TryResolve(web.ApiAddress, out var hosts, out var addressError))
        {
            return Fail(ExitUsage, $"{addressOption}: {addressError}");
        }
        var configuration = settings.ToConfiguration(parse).ToDictionary();
        configuration["Logging:LogLevel:Default"] = web.LogLevel.ToString();
        configuration["Logging:LogLevel:Microsoft.AspNetCore"] = (web.LogLevel < LogLevel.Warning ? LogLevel.Warning : web.LogLevel).ToString();
        // Exactly the addresses asked for: Kestrel would listen on every interface for a host name it does not know.
        if (Tls.Enabled(web))
        {
            if (!Tls.TryLoad(web, out var certificate, out var tlsError))
            {
                return Fail(ExitUsage, tlsError);
            }
            certificate.Dispose(); // checked here for a one-line error; Kestrel loads its own copy
        }
        var scheme = Tls.Enabled(web) ? "https" : "http";
        var urls = string.Join(';', hosts.Select(host => $"{scheme}://{host}:{web.ApiPort}"));
        var grpcPortOption = settings.NameOf<WebOptions>(parse, nameof(WebOptions.GrpcPort));
        if (web.GrpcPort == web.ApiPort)
        {
            return Fail(ExitUsage, $"{grpcPortOption}: must differ from {portOption} ({web.ApiPort}), or be 0 (no gRPC)");
        }
        if (web.GrpcPort != 0)
        {
            // The gRPC API's own port on the same addresses: HTTP/2 only (see GrpcApi.AddAnalyzerGrpc).
            urls += ";" + string.Join(';', hosts.Select(host => $"http://{host}:{web.GrpcPort}"));
        }
        // Settings the CLI has not checked (a configuration file's) fail at build or start: one line too, before any migration.
        WebApplication app;
        try
        {
            app = Program.BuildWebApp(configuration, urls);
        }
        catch (OptionsValidationException e)
        {
            return Fail(ExitUsage, e.Message);
        }
        await using (app)
        {
            try
            {
                app.Services.GetService<IStartupValidator>()?.Validate();
            }
            catch (Exception e) when (e is OptionsValidationException or AggregateException { InnerException: OptionsValidationException })
            {
                return Fail(ExitUsage, e is AggregateException all ? string.Join("; ", all.InnerExceptions.Select(i => i.Message)) : e.Message);
            }
            // The environment, cheapest check first: the port, the database (waited for), the schema. Not for an in-memory
            // server (WebApplicationFactory's, which runs this too): it has no port, and tests start it on databases down on purpose.
            var sockets = app.Services.GetService<IServer>() is { } server && server.GetType().Assembly == typeof(KestrelServer).Assembly;
            if (sockets && StartupChecks.CheckPort(hosts, web.ApiPort, addressOption, portOption) is { } portError)
            {
                return Fail(ExitFailure, portError);
            }
            if (sockets && web.GrpcPort != 0 && StartupChecks.CheckPort(hosts, web.GrpcPort, addressOption, grpcPortOption) is { } grpcPortError)
            {
                return Fail(ExitFailure, grpcPortError);
            }
            var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
            if (!DatabaseUrl.TryParse(storage.Db, out var url, out var urlError))
            {
                return Fail(ExitUsage, urlError);
            }
            var stopping = app.Lifetime.ApplicationStopping;
            // On PostgreSQL a real server listens first (StartupGate: health answers, everything else is 503) while the
            // database is waited for and migrated, so that probes see a service starting rather than a closed port. A SQLite
            // file has nothing to wait for, and an in-memory server no port: they start once the database is ready.
            var listenFirst = sockets && url.Kind == DatabaseKind.Postgres;
            if (listenFirst && await StartListeningAsync(app, urls, addressOption, portOption) is { } listenError)
            {
                return Fail(ExitFailure, listenError);
            }
            string? databaseError;
            try
            {
                databaseError = await PrepareDatabaseAsync(app, url, storage, sockets,
                    settings.NameOf<StorageOptions>(parse, nameof(StorageOptions.DbWaitSeconds)), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // SIGTERM while waiting for the database: a normal stop.
                await app.WaitForShutdownAsync();
                return 0;
            }
            if (databaseError is not null)
            {
                if (listenFirst)
                {
                    await app.StopAsync(CancellationToken.None);
                }
                return Fail(ExitFailure, databaseError);
            }
            app.Services.GetRequiredService<StartupGate>().Open();
            if (!listenFirst && await StartListeningAsync(app, urls, addressOption, portOption) is { } lateListenError)
            {
                return Fail(ExitFailure, lateListenError);
            }
            await app.WaitForShutdownAsync();
        }
        return 0;
    }

    /// <summary>Starts Kestrel; the error line when the port was taken between the check and now.</summary>
    private static async Task<string?> StartListeningAsync(WebApplication app, string urls, string addressOption, string portOption)
    {
        try
        {
            await app.StartAsync(app.Lifetime.ApplicationStopping);
            return null;
        }
        catch (IOException e)
        {
            return $"cannot listen on {urls} ({addressOption}, {portOption}): {e.Message.Split('\n')[0].Trim()}";
        }
    }

    /// <summary>Reaches the database (waited for up to --db-wait) and migrates it, or checks its schema with --no-migrate; the error line when that fails.</summary>
    private static async Task<string?> PrepareDatabaseAsync(WebApplication app, DatabaseUrl url, StorageOptions storage, bool sockets, string waitOption,
        CancellationToken stopping)
    {
        if (sockets && await StartupChecks.ConnectAsync(app.Services.GetRequiredService<Database>, url, TimeSpan.FromSeconds(storage.DbWaitSeconds),
                waitOption, app.Logger, stopping) is { } databaseError)
        {
            return databaseError;
        }
        var migrator = app.Services.GetRequiredService<Migrator>();
        return storage.NoMigrate
            ? sockets ? await CheckSchemaAsync(app.Services.GetRequiredService<Database>(), migrator, stopping) : null
            : await MigrateAsync(app, migrator);
    }

    /// <summary>With --no-migrate: the error line when the schema is behind, or cannot be read.</summary>
    private static async Task<string?> CheckSchemaAsync(Database database, Migrator migrator, CancellationToken cancellationToken)
    {
        try
        {
            return await StartupChecks.CheckSchemaAsync(database, migrator, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return $"cannot read the schema version of the database: {e.Message}";
        }
    }

    /// <summary>Applies pending migrations; the error line when the database cannot be migrated.</summary>
    private static async Task<string?> MigrateAsync(WebApplication app, Migrator migrator)
    {
        try
        {
            var applied = await migrator.UpgradeAsync(null, app.Lifetime.ApplicationStopping);
            foreach (var migration in applied)
            {
                app.Logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
            }
            return null;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return $"cannot migrate the database: {e.Message}";
        }
    }

    private static Command DbCommand(Option<string> db, SettingOptions settings)
    {
        var command = new Command("db", "Schema migrations: upgrade, downgrade, current, history");

        var upgradeTarget = new Argument<string>("TARGET") { Description = "Version to upgrade to, or head", DefaultValueFactory = _ => "head" };
        var upgrade = new Command("upgrade", "Apply migrations up to TARGET (default: head)") { db, upgradeTarget };
        upgrade.SetAction((parse, cancellationToken) => WithMigrator(parse, settings, async migrator =>
        {
            var target = parse.GetValue(upgradeTarget)!;
            int? version = target.Equals("head", StringComparison.OrdinalIgnoreCase) ? null : ParseVersion(target);
            foreach (var migration in await migrator.UpgradeAsync(version, cancellationToken))
            {
                Console.WriteLine($"upgraded to {migration.Version:D4} {migration.Name}");
            }
            Console.WriteLine($"current: {await migrator.CurrentAsync(cancellationToken):D4}");
        }));

        var downgradeTarget = new Argument<string>("TARGET") { Description = "Version to downgrade to, or base (no tables)" };
        var force = new Option<bool>("--force")
        {
            Description = "Downgrade even below the datasets migration while datasets exist, which deletes them all",
        };
        var downgrade = new Command("downgrade", "Revert migrations above TARGET") { db, downgradeTarget, force };
        downgrade.SetAction((parse, cancellationToken) => WithMigrator(parse, settings, async (migrator, database) =>
        {
            var version = TargetVersion(parse.GetValue(downgradeTarget)!, migrator);
            if (!parse.GetValue(force) && await StartupChecks.CheckDowngradeAsync(database, migrator, version, cancellationToken) is { } refused)
            {
                return refused;
            }
            foreach (var migration in await migrator.DowngradeAsync(version, cancellationToken))
            {
                Console.WriteLine($"reverted {migration.Version:D4} {migration.Name}");
            }
            Console.WriteLine($"current: {await migrator.CurrentAsync(cancellationToken):D4}");
            return null;
        }));

        var current = new Command("current", "Print the applied schema version") { db };
        current.SetAction((parse, cancellationToken) => WithMigrator(parse, settings, async migrator =>
            Console.WriteLine($"{await migrator.CurrentAsync(cancellationToken):D4} (head: {migrator.Head:D4})")));

        var history = new Command("history", "List every migration and when it was applied") { db };
        history.SetAction((parse, cancellationToken) => WithMigrator(parse, settings, async migrator =>
        {
            foreach (var state in await migrator.HistoryAsync(cancellationToken))
            {
                var applied = state.AppliedAt is { } at ? "applied " + at.ToString("u", CultureInfo.InvariantCulture) : "pending";
                Console.WriteLine($"{state.Migration.Version:D4} {state.Migration.Name,-32} {applied}");
            }
        }));

        command.Subcommands.Add(upgrade);
        command.Subcommands.Add(downgrade);
        command.Subcommands.Add(current);
        command.Subcommands.Add(history);
        return command;
    }

    /// <summary>The version <c>downgrade TARGET</c> names: a known migration's, or 0 for <c>base</c>.</summary>
    private static int TargetVersion(string target, Migrator migrator)
    {
        var version = target.Equals("base", StringComparison.OrdinalIgnoreCase) ? 0 : ParseVersion(target);
        if (version != 0 && migrator.Migrations.All(m => m.Version != version))
        {
            throw new ArgumentOutOfRangeException(nameof(target), version,
                $"no migration has version {version}; known: {string.Join(", ", migrator.Migrations.Select(m => m.Version))}");
        }
        return version;
    }

    private static int ParseVersion(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new ArgumentOutOfRangeException(nameof(text), text, $"'{text}' is not a migration version");

    private static Task<int> WithMigrator(ParseResult parse, SettingOptions settings, Func<Migrator, Task> run) =>
        WithMigrator(parse, settings, async (migrator, _) =>
        {
            await run(migrator);
            return null;
        });

    /// <param name="run">The command's work; the line of a refusal (exit code 1), or null.</param>
    private static async Task<int> WithMigrator(ParseResult parse, SettingOptions settings, Func<Migrator, Database, Task<string?>> run)
    {
        if (settings.Validate(parse) is { } error)
        {
            return Fail(ExitUsage, error);
        }
        if (!DatabaseUrl.TryParse(settings.Bind<StorageOptions>(parse).Db, out var url, out var urlError))
        {
            return Fail(ExitUsage, urlError);
        }
        Database? store = null;
        try
        {
            if (await StartupChecks.ConnectAsync(() => store ??= StorageServices.Open(settings.Bind<StorageOptions>(parse).Db),
                    url, TimeSpan.Zero, Settings.Of<StorageOptions>(nameof(StorageOptions.DbWaitSeconds)).Flag, null, CancellationToken.None) is { } databaseError)
            {
                return Fail(ExitFailure, databaseError);
            }
            return await run(new Migrator(store!), store!) is { } refused ? Fail(ExitFailure, refused) : 0;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Fail(ExitUsage, e.Message.Split(Environment.NewLine)[0].Split(" (Parameter")[0]);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            return Fail(ExitFailure, e.Message);
        }
        finally
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }
        }
    }

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"analyzer: {message}");
        return exitCode;
    }
}
