using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Analyzer.Cli;
using Analyzer.Storage;
using QRCoder;

namespace Analyzer.Auth;

/// <summary>
/// <c>analyzer users add|list|remove</c>: people who sign in to the dashboard (<c>POST /auth/sessions</c>) with a TOTP
/// code. <c>add</c> prints the <c>otpauth://</c> URI alone on stdout and shows its QR code on stderr (the terminal);
/// <c>--qr-png</c> also writes it as a PNG. Bad input is one line on stderr and exit code 2; a database failure, 1.
/// </summary>
public sealed class UsersCli(SettingOptions settings)
{
    public Command UsersCommand(Option<string> db)
    {
        var name = new Argument<string>("NAME") { Description = "The person's sign-in name: 1–64 letters, digits or . _ @ -" };
        var scopes = new Option<string[]>("--scopes")
        {
            Description = $"The scopes the person's tokens grant, comma separated: {string.Join(", ", Scopes.All)}",
            AllowMultipleArgumentsPerToken = false,
        };
        var png = new Option<string?>("--qr-png") { Description = "Also write the enrolment QR code as a PNG file here (it holds the secret: keep it private)" };
        var add = new Command("add", "Enrol a person: a new TOTP secret, its otpauth:// URI and QR code for an authenticator app")
        {
            name, scopes, png, db, settings.Get((AuthOptions o) => o.SecretFile),
        };
        add.SetAction((parse, cancellationToken) => AddAsync(parse, parse.GetValue(name)!, parse.GetValue(scopes) ?? [], parse.GetValue(png), cancellationToken));

        var list = new Command("list", "List the enrolled people, their scopes, and locks") { db };
        list.SetAction((parse, cancellationToken) => ListAsync(parse, cancellationToken));

        var removed = new Argument<string>("NAME") { Description = "The person to remove" };
        var remove = new Command("remove", "Remove a person: their codes no longer sign in (tokens already issued live until they expire or are revoked)")
        {
            removed, db,
        };
        remove.SetAction((parse, cancellationToken) => RemoveAsync(parse, parse.GetValue(removed)!, cancellationToken));

        return new Command("users", "People who sign in to the dashboard with a TOTP code") { add, list, remove };
    }

    private async Task<int> AddAsync(ParseResult parse, string name, string[] scopeValues, string? pngPath, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        if (settings.Validate(parse) is { } invalid)
        {
            return Fail(error, AnalyzerCli.ExitUsage, invalid);
        }
        if (!TotpUsers.IsValidName(name))
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"the name '{name}' is not 1–{TotpUsers.MaxNameLength} letters, digits or . _ @ -");
        }
        if (!Tokens.TryParseScopes(scopeValues, out var scopes, out var problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem.Replace("--scope", "--scopes", StringComparison.Ordinal));
        }
        var auth = settings.Bind<AuthOptions>(parse);
        if (string.IsNullOrEmpty(auth.SecretFile))
        {
            return Fail(error, AnalyzerCli.ExitUsage,
                "users add needs --auth-secret-file (or ANALYZER_AUTH_SECRET_FILE): the secret the service signs tokens with also encrypts the TOTP secrets");
        }
        if (!AuthKeys.TryReadSecret(auth.SecretFile, out var tokenSecret, out problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        if (pngPath is not null && Path.GetDirectoryName(Path.GetFullPath(pngPath)) is { } folder && !Directory.Exists(folder))
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"--qr-png '{pngPath}': the folder {folder} does not exist");
        }
        var secret = TotpCodes.NewSecret();
        var sealedSecret = TotpSecrets.Seal(TotpSecrets.DeriveKey(tokenSecret), name, secret);
        var added = await WithDatabaseAsync(parse, "enrol the person", async store => (bool?)await store.AddAsync(name, scopes, sealedSecret, cancellationToken));
        switch (added)
        {
            case null:
                return AnalyzerCli.ExitFailure;
            case false:
                return Fail(error, AnalyzerCli.ExitFailure, $"'{name}' is already enrolled; analyzer users remove {name} first to enrol them again");
        }
        var uri = TotpCodes.EnrolmentUri(secret, name);
        using var qr = QRCodeGenerator.GenerateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        if (pngPath is not null)
        {
            await File.WriteAllBytesAsync(pngPath, new PngByteQRCode(qr).GetGraphic(8), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(pngPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        await parse.InvocationConfiguration.Output.WriteLineAsync(uri);
        await error.WriteLineAsync(new AsciiQRCode(qr).GetGraphicSmall());
        await error.WriteLineAsync($"analyzer: enrolled {name} ({string.Join(' ', scopes)}): scan the code above with an authenticator app"
            + (pngPath is null ? "" : $", or the one in {pngPath}"));
        return 0;
    }

    private async Task<int> ListAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (settings.Validate(parse) is { } invalid)
        {
            return Fail(parse.InvocationConfiguration.Error, AnalyzerCli.ExitUsage, invalid);
        }
        var users = await WithDatabaseAsync(parse, "list the people", async store => (IReadOnlyList<TotpUser>?)await store.ListAsync(cancellationToken));
        if (users is null)
        {
            return AnalyzerCli.ExitFailure;
        }
        var output = parse.InvocationConfiguration.Output;
        var now = TimeProvider.System.GetUtcNow();
        foreach (var user in users)
        {
            var locked = user.LockedUntil is { } until && until > now ? $"\tlocked until {until:yyyy-MM-dd HH:mm:ss} UTC" : "";
            await output.WriteLineAsync($"{user.Name}\t{string.Join(' ', user.Scopes)}\tenrolled {user.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC{locked}");
        }
        return 0;
    }

    private async Task<int> RemoveAsync(ParseResult parse, string name, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        if (settings.Validate(parse) is { } invalid)
        {
            return Fail(error, AnalyzerCli.ExitUsage, invalid);
        }
        var removed = await WithDatabaseAsync(parse, "remove the person", async store => (bool?)await store.RemoveAsync(name, cancellationToken));
        switch (removed)
        {
            case null:
                return AnalyzerCli.ExitFailure;
            case false:
                return Fail(error, AnalyzerCli.ExitFailure, $"nobody called '{name}' is enrolled");
        }
        await parse.InvocationConfiguration.Output.WriteLineAsync($"removed {name}");
        return 0;
    }

    /// <summary>Runs <paramref name="work"/> on the database of --db; null (after one line on stderr) when the database fails.</summary>
    private async Task<T?> WithDatabaseAsync<T>(ParseResult parse, string what, Func<TotpUsers, Task<T?>> work)
    {
        try
        {
            await using var database = StorageServices.Open(settings.Bind<StorageOptions>(parse).Db);
            return await work(new TotpUsers(database));
        }
        catch (Exception e) when (e is DbException or SocketException or TimeoutException or IOException)
        {
            Fail(parse.InvocationConfiguration.Error, AnalyzerCli.ExitFailure,
                $"cannot {what} ({e.Message.Split('\n')[0].Trim()}); is the database migrated (analyzer db upgrade)?");
            return default;
        }
    }

    private static int Fail(TextWriter error, int exitCode, string message)
    {
        error.WriteLine($"analyzer: {message}");
        return exitCode;
    }
}
