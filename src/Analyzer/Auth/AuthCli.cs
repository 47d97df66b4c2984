using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Analyzer.Cli;
using Analyzer.Storage;
using Analyzer.Web;

namespace Analyzer.Auth;

/// <summary>
/// <c>analyzer token issue|revoke</c>, with the auth options of <c>serve</c> (declared in <see cref="AuthOptions"/>).
/// Bad input is one line on stderr and exit code 2.
/// </summary>
public sealed class AuthCli(SettingOptions settings)
{
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
            scope, ttl, subject,
            settings.Get((AuthOptions o) => o.SecretFile), settings.Get((AuthOptions o) => o.Issuer), settings.Get((AuthOptions o) => o.Audience),
        };
        issue.SetAction(parse => Issue(parse, parse.GetValue(scope) ?? [], parse.GetValue(ttl)!, parse.GetValue(subject)));

        var jti = new Argument<string?>("JTI") { Description = "The id (jti claim) of the token to refuse", Arity = ArgumentArity.ZeroOrOne };
        var revoke = new Command("revoke", "Refuse a token from now on: record its id in the database's token_revocations")
        {
            db, jti,
        };
        revoke.SetAction((parse, cancellationToken) => RevokeAsync(parse, parse.GetValue(jti), cancellationToken));

        return new Command("token", "Issue and revoke bearer tokens") { issue, revoke };
    }

    private int Issue(ParseResult parse, string[] scopeValues, string ttl, string? subject)
    {
        var error = parse.InvocationConfiguration.Error;
        if (settings.Validate(parse) is { } invalid)
        {
            return Fail(error, AnalyzerCli.ExitUsage, invalid);
        }
        if (!Tokens.TryParseScopes(scopeValues, out var scopes, out var problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        if (!Tokens.TryParseLifetime(ttl, out var lifetime))
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"--ttl '{ttl}' is not a lifetime; use 30s, 15m, 1h, 7d or 1h30m (at most {Tokens.MaxLifetime.TotalDays:0}d)");
        }
        var auth = settings.Bind<AuthOptions>(parse);
        if (lifetime > auth.MaxTokenLifetime)
        {
            return Fail(error, AnalyzerCli.ExitUsage,
                $"--ttl '{ttl}' is longer than the {auth.MaxTokenLifetimeHours} hours the service accepts (--auth-max-token-lifetime-hours)");
        }
        if (string.IsNullOrEmpty(auth.SecretFile))
        {
            return Fail(error, AnalyzerCli.ExitUsage, "token issue needs --auth-secret-file (or ANALYZER_AUTH_SECRET_FILE): the secret the service checks tokens with");
        }
        if (!AuthKeys.TryReadSecret(auth.SecretFile, out var secret, out problem))
        {
            return Fail(error, AnalyzerCli.ExitUsage, problem);
        }
        var token = Tokens.Issue(secret, scopes, lifetime, TimeProvider.System.GetUtcNow(), subject, auth.Issuer, auth.Audience);
        parse.InvocationConfiguration.Output.WriteLine(token.Token);
        error.WriteLine($"analyzer: token id (jti) {token.Jti}, expires {token.ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC");
        return 0;
    }

    private async Task<int> RevokeAsync(ParseResult parse, string? jti, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        if (string.IsNullOrWhiteSpace(jti) || jti.Length > AuthApi.MaxJtiLength)
        {
            return Fail(error, AnalyzerCli.ExitUsage, $"give the id (jti) of the token to revoke: 1–{AuthApi.MaxJtiLength} characters");
        }
        if (settings.Validate(parse) is { } invalid)
        {
            return Fail(error, AnalyzerCli.ExitUsage, invalid);
        }
        try
        {
            await using var store = StorageServices.Open(settings.Bind<StorageOptions>(parse).Db);
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
