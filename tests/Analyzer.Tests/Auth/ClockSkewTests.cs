using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;
using Analyzer.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Analyzer.Tests.Auth;

public sealed class SqliteClockSkewTests(SqliteAuthApp strict, SqliteLenientAuthApp lenient)
    : ClockSkewTests(strict, lenient), IClassFixture<SqliteAuthApp>, IClassFixture<SqliteLenientAuthApp>;

public sealed class PostgresClockSkewTests(PostgresAuthApp strict, PostgresLenientAuthApp lenient)
    : ClockSkewTests(strict, lenient), IClassFixture<PostgresAuthApp>, IClassFixture<PostgresLenientAuthApp>, IPostgresTests;

/// <summary>
/// A token's <c>exp</c> and <c>nbf</c> are checked with a clock skew: 30 seconds unless configured (the strict
/// service), 120 in the lenient one. The lifetime is checked on the system clock, so the tokens are made from it.
/// </summary>
public abstract class ClockSkewTests(AnalyzerApp strict, AnalyzerApp lenient)
{
    private readonly HttpClient strictClient = strict.CreateClient();
    private readonly HttpClient lenientClient = lenient.CreateClient();

    /// <summary>Expired <paramref name="secondsAgo"/> seconds ago, issued ten minutes before that.</summary>
    private static string ExpiredToken(int secondsAgo)
    {
        var now = DateTime.UtcNow;
        return TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now.AddMinutes(-10), now.AddMinutes(-10), now.AddSeconds(-secondsAgo)));
    }

    /// <summary>Valid from <paramref name="secondsAhead"/> seconds from now, for an hour.</summary>
    private static string FutureToken(int secondsAhead)
    {
        var now = DateTime.UtcNow;
        return TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now, now.AddSeconds(secondsAhead), now.AddHours(1)));
    }

    private static async Task<HttpResponseMessage> GetCitizensAsync(HttpClient client, string token)
    {
        long import;
        using (var created = await client.SendAsync(ProtectedEndpoints.Find("POST", "/imports"), 0, ProtectedEndpoints.Bearer(TestKeys.Issue(Scopes.Write).Token)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            import = (await created.ReadJsonAsync()).GetProperty("data").GetProperty("import_id").GetInt64();
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/imports/{import}/citizens");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string reason)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.StartsWith("Bearer error=\"invalid_token\"", string.Join(", ", response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Revocations are purged after the longest accepted lifetime, so a token may not live longer.</summary>
    [BackendFact]
    public async Task A_token_that_lives_longer_than_the_longest_accepted_lifetime_is_refused()
    {
        var now = DateTime.UtcNow;
        var tooLong = TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now, now, now + new AuthOptions().MaxTokenLifetime + TimeSpan.FromDays(1)));
        var noIssuedAt = TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (null, null, now + new AuthOptions().MaxTokenLifetime + TimeSpan.FromDays(1)));
        var longest = TestKeys.Custom(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now, now, now + new AuthOptions().MaxTokenLifetime));

        using (var response = await GetCitizensAsync(strictClient, tooLong))
        {
            await AssertRefusedAsync(response, "lives longer than");
        }
        using (var response = await GetCitizensAsync(strictClient, noIssuedAt))
        {
            await AssertRefusedAsync(response, "lives longer than");
        }
        using (var response = await GetCitizensAsync(strictClient, longest))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [BackendFact]
    public async Task A_token_that_expired_a_minute_ago_is_refused_with_the_default_clock_skew()
    {
        using var response = await GetCitizensAsync(strictClient, ExpiredToken(60));

        await AssertRefusedAsync(response, "expired");
    }

    [BackendFact]
    public async Task A_token_that_expired_a_minute_ago_is_accepted_with_a_clock_skew_of_120_seconds()
    {
        using var response = await GetCitizensAsync(lenientClient, ExpiredToken(60));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [BackendFact]
    public async Task A_token_that_expired_longer_ago_than_the_clock_skew_is_refused_there_too()
    {
        using var response = await GetCitizensAsync(lenientClient, ExpiredToken(180));

        await AssertRefusedAsync(response, "expired");
    }

    [BackendFact]
    public async Task A_token_valid_from_a_minute_from_now_is_refused_by_default_and_accepted_with_120_seconds()
    {
        var token = FutureToken(60);

        using (var refused = await GetCitizensAsync(strictClient, token))
        {
            await AssertRefusedAsync(refused, "not valid yet");
        }
        using var accepted = await GetCitizensAsync(lenientClient, token);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [BackendFact]
    public async Task A_token_valid_now_is_accepted_whatever_the_clock_skew()
    {
        var token = TestKeys.Issue(Scopes.Read).Token;

        using (var response = await GetCitizensAsync(strictClient, token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await GetCitizensAsync(lenientClient, token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}

/// <summary><c>--auth-clock-skew</c>, <c>ANALYZER_AUTH_CLOCK_SKEW</c> and <c>Analyzer:AUTH_CLOCK_SKEW</c>.</summary>
public sealed class ClockSkewSettingTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-skew-");

    public void Dispose() => directory.Delete(recursive: true);

    /// <summary>The serve options as the CLI declares them, parsed from <paramref name="args"/> with no environment.</summary>
    private static (ParseResult Parse, SettingOptions Settings) ParseServe(params string[] args)
    {
        var settings = new SettingOptions(new ConfigurationBuilder().Build());
        var serve = new RootCommand();
        foreach (var option in settings.All)
        {
            serve.Options.Add(option);
        }
        return (serve.Parse(args), settings);
    }

    [Fact]
    public void The_default_clock_skew_is_30_seconds()
    {
        var options = new AuthOptions { SecretFile = TestKeys.SecretFile };

        Assert.Equal(30, options.ClockSkewSeconds);
        Assert.Equal(TimeSpan.FromSeconds(30), new TokenValidation(Options.Create(options)).Parameters.ClockSkew);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("120", 120)]
    public void The_option_is_a_count_of_seconds_handed_to_the_service(string value, int seconds)
    {
        var (parse, settings) = ParseServe("--auth-secret-file", TestKeys.SecretFile, "--auth-clock-skew", value);

        Assert.Empty(parse.Errors);
        var options = settings.Bind<AuthOptions>(parse);
        Assert.Equal(seconds, options.ClockSkewSeconds);
        Assert.Contains(KeyValuePair.Create("Analyzer:AUTH_CLOCK_SKEW", (string?)value), settings.ToConfiguration(parse));
        Assert.Equal(TimeSpan.FromSeconds(seconds), new TokenValidation(Options.Create(options)).Parameters.ClockSkew);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void A_negative_or_non_integer_option_is_a_usage_error(string value)
    {
        var (parse, settings) = ParseServe("--auth-clock-skew", value);

        var error = parse.Errors.Count > 0 ? string.Join("; ", parse.Errors.Select(e => e.Message)) : settings.Validate(parse);
        Assert.NotNull(error);
        Assert.Contains("--auth-clock-skew", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANALYZER_AUTH_CLOCK_SKEW_sets_the_clock_skew_of_the_running_service()
    {
        var environment = new Dictionary<string, string> { ["ANALYZER_AUTH_CLOCK_SKEW"] = "120" };
        await using var server = await AnalyzerServer.StartAsync(directory.FullName, environment,
            "--db", "sqlite:skew.db", "--auth-secret-file", TestKeys.SecretFile, "--log-level", "Warning");
        var now = DateTime.UtcNow;
        var expiredAMinuteAgo = TestKeys.Custom(d =>
            (d.IssuedAt, d.NotBefore, d.Expires, d.Issuer, d.Audience) = (now.AddMinutes(-10), now.AddMinutes(-10), now.AddSeconds(-60), null, null));
        var expiredThreeMinutesAgo = TestKeys.Custom(d =>
            (d.IssuedAt, d.NotBefore, d.Expires, d.Issuer, d.Audience) = (now.AddMinutes(-10), now.AddMinutes(-10), now.AddSeconds(-180), null, null));

        // Import 1 does not exist: 404 once the token is accepted.
        using (var accepted = await GetAsync(server.Client, "/imports/1/citizens", expiredAMinuteAgo))
        {
            Assert.Equal(HttpStatusCode.NotFound, accepted.StatusCode);
        }
        using var refused = await GetAsync(server.Client, "/imports/1/citizens", expiredThreeMinutesAgo);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_negative_ANALYZER_AUTH_CLOCK_SKEW_is_an_error_naming_it()
    {
        var environment = new Dictionary<string, string> { ["ANALYZER_AUTH_CLOCK_SKEW"] = "-5" };

        var result = await AnalyzerProcess.RunAsync(directory.FullName, environment,
            "--api-address", "127.0.0.1", "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--db", "sqlite:refused.db", "--auth-secret-file", TestKeys.SecretFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("ANALYZER_AUTH_CLOCK_SKEW", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory.FullName, "refused.db")), "nothing was started");
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}
