using System.CommandLine;
using System.Globalization;
using Analyzer.Auth;
using Analyzer.Storage;
using Analyzer.Web;
using Microsoft.Extensions.Options;

namespace Analyzer.Cli;

/// <summary>
/// <c>analyzer [serve] [options]</c> and <c>analyzer db upgrade|downgrade|current|history</c>.
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
        var configuration = settings.ToConfiguration(parse).ToDictionary();
        configuration["Logging:LogLevel:Default"] = web.LogLevel.ToString();
        configuration["Logging:LogLevel:Microsoft.AspNetCore"] = (web.LogLevel < LogLevel.Warning ? LogLevel.Warning : web.LogLevel).ToString();
        var address = web.ApiAddress.Contains(':', StringComparison.Ordinal) ? $"[{web.ApiAddress}]" : web.ApiAddress;
        // Settings the CLI has not checked (a configuration file's) fail at build or start: one line too, before any migration.
        WebApplication app;
        try
        {
            app = Program.BuildWebApp(configuration, $"http://{address}:{web.ApiPort}");
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
            if (!app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.NoMigrate && await MigrateAsync(app) is { } migrateError)
            {
                return Fail(ExitFailure, migrateError);
            }
            await app.RunAsync();
        }
        return 0;
    }

    /// <summary>Applies pending migrations; the error line when the database cannot be migrated.</summary>
    private static async Task<string?> MigrateAsync(WebApplication app)
    {
        try
        {
            var applied = await app.Services.GetRequiredService<Migrator>().UpgradeAsync(null, app.Lifetime.ApplicationStopping);
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
        var downgrade = new Command("downgrade", "Revert migrations above TARGET") { db, downgradeTarget };
        downgrade.SetAction((parse, cancellationToken) => WithMigrator(parse, settings, async migrator =>
        {
            var target = parse.GetValue(downgradeTarget)!;
            var version = target.Equals("base", StringComparison.OrdinalIgnoreCase) ? 0 : ParseVersion(target);
            foreach (var migration in await migrator.DowngradeAsync(version, cancellationToken))
            {
                Console.WriteLine($"reverted {migration.Version:D4} {migration.Name}");
            }
            Console.WriteLine($"current: {await migrator.CurrentAsync(cancellationToken):D4}");
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

    private static int ParseVersion(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new ArgumentOutOfRangeException(nameof(text), text, $"'{text}' is not a migration version");

    private static async Task<int> WithMigrator(ParseResult parse, SettingOptions settings, Func<Migrator, Task> run)
    {
        if (settings.Validate(parse) is { } error)
        {
            return Fail(ExitUsage, error);
        }
        try
        {
            await using var store = StorageServices.Open(settings.Bind<StorageOptions>(parse).Db);
            await run(new Migrator(store));
            return 0;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Fail(ExitUsage, e.Message.Split(Environment.NewLine)[0].Split(" (Parameter")[0]);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            return Fail(ExitFailure, e.Message);
        }
    }

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"analyzer: {message}");
        return exitCode;
    }
}
