using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Analyzer.Cli;
using Analyzer.Storage;

namespace Analyzer.Auth;

/// <summary>
/// The auth options of <c>serve</c> (each also read from ANALYZER_AUTH_*), and <c>analyzer token issue|revoke</c>.
/// Bad input is one line on stderr and exit code 2.
/// </summary>
public sealed class AuthCli
{
    public Option<string?> SecretFile { get; } = AnalyzerCli.EnvOption<string?>("--auth-secret-file",
        "File with the HS256 secret tokens are signed with (at least 32 bytes); turns authentication on", null, text => text);

    public Option<string?> PublicKeyFile { get; } = AnalyzerCli.EnvOption<string?>("--auth-public-key-file",
        "PEM RSA or EC public key of tokens issued elsewhere (needs --auth-issuer and --auth-audience); turns authentication on", null, text => text);

    public Option<string?> Issuer { get; } = AnalyzerCli.EnvOption<string?>("--auth-issuer",
        "The iss that tokens must carry (and issued tokens get)", null, text => text);

    public Option<string?> Audience { get; } = AnalyzerCli.EnvOption<string?>("--auth-audience",
        "The aud that tokens must carry (and issued tokens get)", null, text => text);

    public Option<int> ClockSkew { get; } = WithNonNegativeValue(AnalyzerCli.EnvOption("--auth-clock-skew",
        "Seconds a token's exp and nbf may be off from this service's clock", AuthOptions.DefaultClockSkewSeconds, NonNegativeInt));

    public void AddTo(Command serve)
    {
        foreach (var option in new Option[] { SecretFile, PublicKeyFile, Issuer, Audience, ClockSkew })
        {
            serve.Options.Add(option);
        }
    }

    public AuthOptions Read(ParseResult parse) => new()
    {
        SecretFile = parse.GetValue(SecretFile),
        PublicKeyFile = parse.GetValue(PublicKeyFile),
        Issuer = parse.GetValue(Issuer),
        Audience = parse.GetValue(Audience),
        ClockSkewSeconds = parse.GetValue(ClockSkew),
    };

    private static object? NonNegativeInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>A negative count given on the command line is a usage error too (the environment's is refused by <see cref="NonNegativeInt"/>).</summary>
    private static Option<int> WithNonNegativeValue(Option<int> option)
    {
        option.Validators.Add(result =>
        {
            // Not a number at all: the parser says so itself.
            if (result.Tokens.Any(token => int.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value < 0))
            {
                result.AddError($"{option.Name} must be 0 or more seconds");
            }
        });
        return option;
    }

    /// <summary><c>analyzer token issue</c> and <c>analyzer token revoke</c>.</summary>
    public Command TokenCommand(Option<string> db)
    {
        var scope = new Option<string[]>("--scope")
        {
            Description = $"A scope the token grants: {string.Join(", ", Scopes.All)}; repeat for several",
        };
        var ttl = new Option<string>("--ttl")
        {
            Description = "How long the token is valid: 30s, 15m, 1h, 7d or 1h30m",
            DefaultValueFactory = _ => "1h",
        };
        var subject = new Option<string?>("--subject") { Description = "Who or what the token is for (its sub claim)" };
        var issue = new Command("issue", "Print a new token signed with the HS256 secret of --auth-secret-file")
        {
            scope, ttl, subject, SecretFile, Issuer, Audience,
        };
        issue.SetAction(parse => Issue(parse, parse.GetValue(scope) ?? [], parse.GetValue(ttl)!, parse.GetValue(subject)));

        var jti = new Argument<string?>("JTI") { Description = "The id (jti claim) of the token to refuse", Arity = ArgumentArity.ZeroOrOne };
        var revoke = new Command("revoke", "Refuse a token from now on: record its id in the database's token_revocations")
        {
            db, jti,
        };
        revoke.SetAction((parse, cancellationToken) => RevokeAsync(parse, parse.GetValue(db)!, parse.GetValue(jti), cancellationToken));

        return new Command("token", "Issue and revoke bearer tokens") { issue, revoke };
    }

    private int Issue(ParseResult parse, string[] scopeValues, string ttl, string? subject)
    {
        var error = parse.InvocationConfiguration.Error;
        if (!Tokens.TryParseScopes(scopeValues, out var scopes, out var problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        if (!Tokens.TryParseLifetime(ttl, out var lifetime))
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"--ttl '{ttl}' is not a lifetime; use 30s, 15m, 1h, 7d or 1h30m (at most {Tokens.MaxLifetime.TotalDays:0}d)");
        }
        var secretFile = parse.GetValue(SecretFile);
        if (string.IsNullOrEmpty(secretFile))
        {
            return Fail(error, AnalyzerCli.ExitUsage, "token issue needs --auth-secret-file (or ANALYZER_AUTH_SECRET_FILE): the secret the service checks tokens with");
        }
        if (!AuthKeys.TryReadSecret(secretFile, out var secret, out problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        var token = Tokens.Issue(secret, scopes, lifetime, TimeProvider.System.GetUtcNow(), subject, parse.GetValue(Issuer), parse.GetValue(Audience));
        parse.InvocationConfiguration.Output.WriteLine(token.Token);
        error.WriteLine($"analyzer: token id (jti) {token.Jti}, expires {token.ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC");
        return 0;
    }

    private static async Task<int> RevokeAsync(ParseResult parse, string databaseUrl, string? jti, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        if (string.IsNullOrWhiteSpace(jti) || jti.Length > AuthApi.MaxJtiLength)
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"give the id (jti) of the token to revoke: 1–{AuthApi.MaxJtiLength} characters");
        }
        if (!DatabaseUrl.TryParse(databaseUrl, out _, out var problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        try
        {
            await using var store = StorageServices.Open(databaseUrl);
            var (revocation, created) = await new TokenRevocations(store).RevokeAsync(jti, TimeProvider.System.GetUtcNow(), cancellationToken);
            var at = $"{revocation.RevokedAt:yyyy-MM-dd HH:mm:ss} UTC";
            await parse.InvocationConfiguration.Output.WriteLineAsync(created ? $"revoked {jti} at {at}" : $"{jti} was already revoked at {at}");
            return 0;
        }
        catch (Exception e) when (e is DbException or SocketException or TimeoutException or IOException)
        {
            return Fail(error, AnalyzerCli.ExitFailure, $"cannot record the revocation ({e.Message.Split('\n')[0].Trim()}); is the database migrated (analyzer db upgrade)?");
        }
    }

    private static int Fail(TextWriter error, int exitCode, string message)
    {
        error.WriteLine($"analyzer: {message}");
        return exitCode;
    }
}
