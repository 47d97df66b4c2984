using System.Net;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;
using OtpNet;

namespace Analyzer.Tests.Auth;

public sealed class SqliteUsersCommandTests(SqliteAuthApp app) : UsersCommandTests<SqliteAuthApp>(app);

public sealed class PostgresUsersCommandTests(PostgresAuthApp app) : UsersCommandTests<PostgresAuthApp>(app), IPostgresTests;

/// <summary><c>analyzer users add|list|remove</c> against the database of a running service, which then signs the person in.</summary>
public abstract class UsersCommandTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private static string NewName() => "cli-" + Guid.NewGuid().ToString("N")[..10];

    [BackendFact]
    public async Task A_person_added_on_the_command_line_signs_in_is_listed_and_removed()
    {
        var name = NewName();
        var png = Path.Combine(TestKeys.FolderPath, name + ".png");

        var (exitCode, output, error) = await Cli.RunAsync("users", "add", name, "--scopes", "analyzer:read,analyzer:write", "--qr-png", png,
            "--db", app.DatabaseUrl, "--auth-secret-file", TestKeys.SecretFile);

        Assert.True(exitCode == 0, error);
        var uri = new Uri(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal($"otpauth://totp/Analyzer:{name}", uri.GetLeftPart(UriPartial.Path));
        Assert.Contains("▀", error, StringComparison.Ordinal); // the QR code, drawn in the terminal
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await File.ReadAllBytesAsync(png))[..4]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(png)); // it holds the secret
        }

        var secret = Base32Encoding.ToBytes(uri.Query.TrimStart('?').Split('&').Select(p => p.Split('=')).Single(p => p[0] == "secret")[1]);
        app.Clock.Now = DateTimeOffset.UtcNow;
        using (var signIn = await app.CreateClient().PostJsonAsync("/auth/sessions", $$"""{"name": "{{name}}", "code": "{{TotpCodes.Compute(secret, app.Clock.Now)}}"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        var listed = await Cli.RunAsync("users", "list", "--db", app.DatabaseUrl);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains(listed.Output.Split('\n'), line => line.StartsWith($"{name}\tanalyzer:read analyzer:write\tenrolled ", StringComparison.Ordinal));

        var again = await Cli.RunAsync("users", "add", name, "--scopes", "analyzer:read", "--db", app.DatabaseUrl, "--auth-secret-file", TestKeys.SecretFile);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already enrolled", again.Error, StringComparison.Ordinal);

        var removed = await Cli.RunAsync("users", "remove", name, "--db", app.DatabaseUrl);
        Assert.Equal((0, $"removed {name}"), (removed.ExitCode, removed.Output.Trim()));
        using (var refused = await app.CreateClient().PostJsonAsync("/auth/sessions", $$"""{"name": "{{name}}", "code": "{{TotpCodes.Compute(secret, app.Clock.Now.AddSeconds(30))}}"}"""))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        var removedAgain = await Cli.RunAsync("users", "remove", name, "--db", app.DatabaseUrl);
        Assert.Equal(1, removedAgain.ExitCode);
    }

    [BackendTheory]
    [InlineData("unknown scope 'nope'", "--scopes", "nope")]
    [InlineData("give at least one --scopes")]
    [InlineData("is not 1–64 letters", "--scopes", "analyzer:read", "--name-override", "a b")]
    [InlineData("needs --auth-secret-file", "--scopes", "analyzer:read", "--no-secret")]
    public async Task Bad_input_is_one_line_and_exit_code_2(string expected, params string[] options)
    {
        var name = options.Contains("--name-override") ? options[Array.IndexOf(options, "--name-override") + 1] : NewName();
        var arguments = new List<string> { "users", "add", name, "--db", app.DatabaseUrl };
        arguments.AddRange(options.TakeWhile(o => o is not ("--name-override" or "--no-secret")));
        if (!options.Contains("--no-secret"))
        {
            arguments.AddRange(["--auth-secret-file", TestKeys.SecretFile]);
        }

        var (exitCode, output, error) = await Cli.RunAsync([.. arguments]);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("analyzer: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }
}
