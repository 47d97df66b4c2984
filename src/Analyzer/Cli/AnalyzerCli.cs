using System.CommandLine;
using System.Globalization;
using Analyzer.Auth;
using Analyzer.Storage;
using Analyzer.Web;

namespace Analyzer.Cli;

/// <summary>
/// <c>analyzer [serve] [options]</c> and <c>analyzer db upgrade|downgrade|current|history</c>.
/// Every option also reads ANALYZER_&lt;NAME&gt; from the environment; the command line wins.
/// </summary>
public static class AnalyzerCli
{
    public const int ExitUsage = 2;
    public const int ExitFailure = 1;

    private static readonly string[] LogLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];

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

    public static RootCommand Create()
    {
        var db = EnvOption("--db", "Database URL: postgresql://user:password@host:port/dbname or sqlite:PATH (sqlite:///ABSOLUTE/PATH)",
            AnalyzerOptions.DefaultDatabase, text => text);
        var address = EnvOption("--api-address", "Address to listen on", "0.0.0.0", text => text);
        var port = EnvOption("--api-port", "Port to listen on", 8080,
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p : (object?)null);
        var logLevel = EnvOption("--log-level", "Minimum log level: " + string.Join(", ", LogLevels), "Information",
            text => LogLevels.FirstOrDefault(l => l.Equals(text, StringComparison.OrdinalIgnoreCase)));
        var noMigrate = EnvOption("--no-migrate", "Do not apply pending migrations at start", false, ParseBool);

        // Options that are settings of the running service, each with its configuration key (Analyzer:...).
        var settings = new List<(string Key, Func<ParseResult, string?> Value)>
        {
            (Key(nameof(AnalyzerOptions.Db)), parse => parse.GetValue(db)),
            (Key(nameof(AnalyzerOptions.Migrate)), parse => (!parse.GetValue(noMigrate)).ToString()),
        };
        Option<T> Setting<T>(string name, string description, T fallback, Func<string, object?> parseText, string key)
        {
            var option = EnvOption(name, description, fallback, parseText);
            settings.Add((Key(key), parse => Convert.ToString(parse.GetValue(option), CultureInfo.InvariantCulture)));
            return option;
        }
        var serve = new Command("serve", "Run the web service (the default when no command is given)")
        {
            address, port, db, logLevel, noMigrate,
            Setting("--log-format", "Log output: json or text (default: json unless the output is a terminal)", LogFormat.Default,
                text => text is LogFormat.Json or LogFormat.Text ? text : null, "LogFormat"),
            Setting("--max-request-body-bytes", "Largest JSON request body accepted; larger ones get 413", 128L * 1024 * 1024,
                PositiveLong, nameof(AnalyzerOptions.MaxRequestBodyBytes)),
            Setting("--max-upload-bytes", "Largest CSV upload accepted; larger ones get 413", 1024L * 1024 * 1024,
                PositiveLong, nameof(AnalyzerOptions.MaxUploadBytes)),
            Setting("--max-concurrent-uploads", "Uploads and imports handled at once; more get 503 (default: 2 x cores)", 2 * Environment.ProcessorCount, PositiveInt, nameof(AnalyzerOptions.MaxConcurrentUploads)),
            Setting("--confirmation-ttl-minutes", "How long a dataset confirmation link stays valid", 24 * 60,
                PositiveInt, nameof(AnalyzerOptions.ConfirmationTtlMinutes)),
            Setting("--cors-origins", "Origins allowed by CORS, comma separated (default: CORS off)", "", text => text, nameof(AnalyzerOptions.CorsOrigins)),
            Setting("--shutdown-timeout", "Seconds a stopping service waits for requests in flight", 30,
                PositiveInt, nameof(AnalyzerOptions.ShutdownTimeoutSeconds)),
        };
        var auth = new AuthCli();
        auth.AddTo(serve);
        serve.SetAction((parse, cancellationToken) => ServeAsync(
            parse.GetValue(address)!, parse.GetValue(port), parse.GetValue(db)!, parse.GetValue(logLevel)!,
            settings.ToDictionary(s => s.Key, s => s.Value(parse)), auth.Read(parse)));

        var root = new RootCommand("Analyzer: stores data sets of citizens and answers analytical questions about them.")
        {
            serve,
            DbCommand(db),
            auth.TokenCommand(db),
        };
        foreach (var option in serve.Options)
        {
            root.Options.Add(option);
        }
        root.Action = serve.Action;
        return root;
    }

    private static string Key(string setting) => $"{AnalyzerOptions.Section}:{setting}";

    private static object? PositiveLong(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static object? PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static async Task<int> ServeAsync(string address, int port, string db, string logLevel, Dictionary<string, string?> settings, AuthOptions auth)
    {
        if (!DatabaseUrl.TryParse(db, out _, out var error))
        {
            return Fail(ExitUsage, error);
        }
        if (!AuthKeys.TryLoad(auth, out _, out var authError))
        {
            return Fail(ExitUsage, authError);
        }
        foreach (var (key, value) in auth.ToSettings())
        {
            settings[key] = value;
        }
        settings["Logging:LogLevel:Default"] = logLevel;
        settings["Logging:LogLevel:Microsoft.AspNetCore"] =
            Array.IndexOf(LogLevels, logLevel) < Array.IndexOf(LogLevels, "Warning") ? "Warning" : logLevel;
        var app = Program.BuildWebApp(settings, $"http://{(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address)}:{port}");
        await using (app)
        {
            if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnalyzerOptions>>().Value.Migrate)
            {
                try
                {
                    var applied = await app.Services.GetRequiredService<Migrator>().UpgradeAsync(null, app.Lifetime.ApplicationStopping);
                    foreach (var migration in applied)
                    {
                        app.Logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
                    }
                }
                catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    return Fail(ExitFailure, $"cannot migrate the database: {e.Message}");
                }
            }
            await app.RunAsync();
        }
        return 0;
    }

    private static Command DbCommand(Option<string> db)
    {
        var command = new Command("db", "Schema migrations: upgrade, downgrade, current, history");

        var upgradeTarget = new Argument<string>("TARGET") { Description = "Version to upgrade to, or head", DefaultValueFactory = _ => "head" };
        var upgrade = new Command("upgrade", "Apply migrations up to TARGET (default: head)") { db, upgradeTarget };
        upgrade.SetAction((parse, cancellationToken) => WithMigrator(parse.GetValue(db)!, async migrator =>
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
        downgrade.SetAction((parse, cancellationToken) => WithMigrator(parse.GetValue(db)!, async migrator =>
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
        current.SetAction((parse, cancellationToken) => WithMigrator(parse.GetValue(db)!, async migrator =>
            Console.WriteLine($"{await migrator.CurrentAsync(cancellationToken):D4} (head: {migrator.Head:D4})")));

        var history = new Command("history", "List every migration and when it was applied") { db };
        history.SetAction((parse, cancellationToken) => WithMigrator(parse.GetValue(db)!, async migrator =>
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

    private static async Task<int> WithMigrator(string databaseUrl, Func<Migrator, Task> run)
    {
        if (!DatabaseUrl.TryParse(databaseUrl, out _, out var error))
        {
            return Fail(ExitUsage, error);
        }
        try
        {
            await using var store = StorageServices.Open(databaseUrl);
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

    private static object? ParseBool(string text) => text.ToUpperInvariant() switch
    {
        "1" or "TRUE" or "YES" or "ON" => (object)true,
        "0" or "FALSE" or "NO" or "OFF" or "" => false,
        _ => null,
    };

    /// <summary>An option whose default comes from ANALYZER_&lt;NAME&gt; when that is set.</summary>
    internal static Option<T> EnvOption<T>(string name, string description, T fallback, Func<string, object?> parse)
    {
        var variable = "ANALYZER_" + name.TrimStart('-').Replace('-', '_').ToUpperInvariant();
        return new Option<T>(name)
        {
            Description = $"{description} [env: {variable}]",
            DefaultValueFactory = result =>
            {
                var value = Environment.GetEnvironmentVariable(variable);
                if (value is null)
                {
                    return fallback;
                }
                if (parse(value) is T parsed)
                {
                    return parsed;
                }
                result.AddError($"{variable}='{value}' is not a valid value for {name}");
                return fallback;
            },
        };
    }
}
