using System.Net;
using System.Text;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Analyzer.Tests.Auth;

/// <summary>RFC 6238 codes and the sealing of secrets, as pure functions.</summary>
public sealed class TotpCodeTests
{
    private static readonly byte[] RfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    /// <summary>RFC 6238 Appendix B, the SHA-1 column (8 digits).</summary>
    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Rfc_6238_sha1_test_vectors(long unixSeconds, string expected)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        Assert.Equal(expected, TotpCodes.Compute(RfcSecret, at, OtpHashMode.Sha1, 8));
        Assert.Equal(unixSeconds / 30, TotpCodes.MatchStep(RfcSecret, expected, at, OtpHashMode.Sha1, 8));
    }

    [Theory]
    [InlineData(-60, false)]
    [InlineData(-30, true)]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(60, false)]
    public void Codes_of_one_step_before_and_after_are_accepted(int offsetSeconds, bool accepted)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var code = TotpCodes.Compute(RfcSecret, now.AddSeconds(offsetSeconds));
        Assert.Equal(accepted, TotpCodes.MatchStep(RfcSecret, code, now) is not null);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("١٢٣٤٥٦")]
    public void Malformed_codes_match_nothing(string code) =>
        Assert.Null(TotpCodes.MatchStep(RfcSecret, code, DateTimeOffset.UtcNow));

    [Fact]
    public void A_sealed_secret_opens_only_with_its_key_and_name()
    {
        var key = TotpSecrets.DeriveKey(TestKeys.Secret);
        var secret = TotpCodes.NewSecret();
        var sealedSecret = TotpSecrets.Seal(key, "alice", secret);

        Assert.True(TotpSecrets.TryOpen(key, "alice", sealedSecret, out var opened));
        Assert.Equal(secret, opened);
        Assert.False(TotpSecrets.TryOpen(key, "mallory", sealedSecret, out _));
        Assert.False(TotpSecrets.TryOpen(TotpSecrets.DeriveKey(new byte[32]), "alice", sealedSecret, out _));
        Assert.DoesNotContain(Convert.ToHexString(secret), Convert.ToHexString(sealedSecret), StringComparison.Ordinal);
    }

    [Fact]
    public void The_enrolment_uri_carries_the_secret_in_base32()
    {
        var uri = new Uri(TotpCodes.EnrolmentUri(RfcSecret, "alice"));
        Assert.Equal("otpauth", uri.Scheme);
        Assert.Equal("totp", uri.Host);
        Assert.Contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", uri.Query, StringComparison.Ordinal);
        Assert.Contains("issuer=Analyzer", uri.Query, StringComparison.Ordinal);
    }
}

public sealed class SqliteSessionTests(SqliteAuthApp app) : SessionTests<SqliteAuthApp>(app);

public sealed class PostgresSessionTests(PostgresAuthApp app) : SessionTests<PostgresAuthApp>(app), IPostgresTests;

/// <summary><c>POST /auth/sessions</c> on each back end: tokens with the person's scopes, replays, the window, the lockout.</summary>
public abstract class SessionTests<TApp> : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly TApp app;
    private readonly HttpClient client;

    protected SessionTests(TApp app)
    {
        this.app = app;
        client = app.CreateClient();
        // Tokens are checked on the system clock: the service's clock starts at the real time.
        app.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30 * 30 + 10);
    }

    private async Task<byte[]> EnrolAsync(string name, params string[] scopes)
    {
        var secret = TotpCodes.NewSecret();
        var key = app.Services.GetRequiredService<SessionKeys>().SecretKey!;
        Assert.True(await app.Services.GetRequiredService<TotpUsers>().AddAsync(name, scopes, TotpSecrets.Seal(key, name, secret), CancellationToken.None));
        return secret;
    }

    private static string NewName() => "user-" + Guid.NewGuid().ToString("N")[..12];

    private Task<HttpResponseMessage> SignInAsync(string name, string code) =>
        client.PostJsonAsync("/auth/sessions", $$"""{"name": "{{name}}", "code": "{{code}}"}""");

    private string CodeAt(byte[] secret, int offsetSeconds = 0) => TotpCodes.Compute(secret, app.Clock.Now.AddSeconds(offsetSeconds));

    [BackendFact]
    public async Task A_right_code_gives_a_token_with_the_persons_scopes()
    {
        var name = NewName();
        var secret = await EnrolAsync(name, Scopes.Read, Scopes.Write);

        using var response = await SignInAsync(name, CodeAt(secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal([Scopes.Read, Scopes.Write], data.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.True(data.GetProperty("expires_at").GetDateTime() <= app.Clock.Now.UtcDateTime.AddMinutes(30));
        var token = data.GetProperty("token").GetString()!;
        var claims = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
        Assert.Equal(name, claims.Subject);
        Assert.Equal("analyzer:read analyzer:write", claims.GetClaim("scope").Value);

        using var authorized = app.CreateClient();
        authorized.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using (var listed = await authorized.GetAsync("/imports"))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }
        using var deleted = await authorized.DeleteAsync("/imports/1");
        await deleted.AssertProblemAsync(HttpStatusCode.Forbidden); // no analyzer:admin
    }

    [BackendFact]
    public async Task A_code_is_accepted_once()
    {
        var name = NewName();
        var secret = await EnrolAsync(name, Scopes.Read);
        var code = CodeAt(secret);

        using var first = await SignInAsync(name, code);
        using var replay = await SignInAsync(name, code);
        app.Clock.Now = app.Clock.Now.AddSeconds(20); // the same code, still inside the window
        using var later = await SignInAsync(name, code);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await replay.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await later.AssertProblemAsync(HttpStatusCode.Unauthorized);
        using var older = await SignInAsync(name, CodeAt(secret, -30)); // a step before the one used: refused as well
        await older.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [BackendFact]
    public async Task Codes_within_one_step_are_accepted_and_further_ones_refused()
    {
        var name = NewName();
        var secret = await EnrolAsync(name, Scopes.Read);

        foreach (var (offset, expected) in new[] { (-60, HttpStatusCode.Unauthorized), (60, HttpStatusCode.Unauthorized), (-30, HttpStatusCode.OK), (0, HttpStatusCode.OK), (30, HttpStatusCode.OK) })
        {
            using var response = await SignInAsync(name, CodeAt(secret, offset));
            Assert.True(expected == response.StatusCode, $"code of {offset:+0;-0;0} s: {(int)response.StatusCode}");
        }
    }

    [BackendFact]
    public async Task Five_wrong_codes_lock_a_person_for_a_minute_and_an_unknown_name_alike()
    {
        var name = NewName();
        var secret = await EnrolAsync(name, Scopes.Read);
        var wrong = ((int.Parse(CodeAt(secret), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

        foreach (var who in new[] { name, NewName() })
        {
            var details = new List<string>();
            for (var attempt = 1; attempt <= 4; attempt++)
            {
                using var refused = await SignInAsync(who, wrong);
                details.Add((await refused.AssertProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString()!);
            }
            using var locking = await SignInAsync(who, wrong);
            await locking.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.Equal("60", locking.Headers.RetryAfter?.ToString());
            Assert.Single(details.Distinct());
        }

        app.Clock.Now = app.Clock.Now.AddSeconds(30);
        using (var whileLocked = await SignInAsync(name, CodeAt(secret)))
        {
            await whileLocked.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.Equal("30", whileLocked.Headers.RetryAfter?.ToString());
        }
        app.Clock.Now = app.Clock.Now.AddSeconds(31);
        using var afterwards = await SignInAsync(name, CodeAt(secret));
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [BackendFact]
    public async Task An_unknown_name_and_a_wrong_code_answer_the_same()
    {
        var name = NewName();
        var secret = await EnrolAsync(name, Scopes.Read);
        var code = CodeAt(secret);
        var wrong = code == "000000" ? "000001" : "000000";

        using var unknown = await SignInAsync(NewName(), code);
        using var wrongCode = await SignInAsync(name, wrong);

        var a = await unknown.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var b = await wrongCode.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
    }

    [BackendTheory]
    [InlineData("""{"name": "alice"}""", "code")]
    [InlineData("""{"code": "123456"}""", "name")]
    [InlineData("""{"name": "alice", "code": 123456}""", "code")]
    [InlineData("""{"name": "alice", "code": "12345"}""", "code")]
    [InlineData("""{"name": "a b", "code": "123456"}""", "name")]
    [InlineData("""{"name": "alice", "code": "123456", "remember": true}""", "remember")]
    public async Task A_malformed_sign_in_is_a_400_naming_the_field(string body, string field)
    {
        using var response = await client.PostJsonAsync("/auth/sessions", body);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}

/// <summary>Without an HS256 secret nothing can sign a session's token: sign-in is a 404 problem.</summary>
public sealed class SessionsWithoutSecretTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Sign_in_is_off_when_the_service_has_no_secret()
    {
        using var response = await app.CreateClient().PostJsonAsync("/auth/sessions", """{"name": "alice", "code": "123456"}""");
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
