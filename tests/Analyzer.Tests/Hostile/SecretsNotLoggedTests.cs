using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Hostile;

/// <summary>Authentication on, every category logging at Trace: whatever could be written is.</summary>
public sealed class TraceLoggingAuthApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(TestKeys.Settings)
    {
        ["Analyzer:LOG_LEVEL"] = "Trace",
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
    };
}

/// <summary>
/// A whole authenticated workflow (sign-in by TOTP code, imports, PATCH, analytics, a dataset, a revocation, refused
/// tokens) with every log category at Trace: no entry, message or value holds a token, the signing secret, a TOTP
/// secret or a code.
/// </summary>
public sealed class SecretsNotLoggedTests(TraceLoggingAuthApp app) : IClassFixture<TraceLoggingAuthApp>
{
    [Fact]
    public async Task No_log_entry_holds_a_token_the_signing_secret_or_a_TOTP_secret()
    {
        app.Clock.Now = DateTimeOffset.UtcNow; // the session token must be valid now: tokens are checked against the real clock
        var name = "user-" + Guid.NewGuid().ToString("N")[..12];
        var totpSecret = TotpCodes.NewSecret();
        var key = app.Services.GetRequiredService<SessionKeys>().SecretKey!;
        Assert.True(await app.Services.GetRequiredService<TotpUsers>().AddAsync(name, [.. Scopes.All], TotpSecrets.Seal(key, name, totpSecret), CancellationToken.None));
        var code = TotpCodes.Compute(totpSecret, app.Clock.Now);

        using var client = app.CreateClient();
        using var session = await client.PostJsonAsync("/auth/sessions", $$"""{"name": "{{name}}", "code": "{{code}}"}""");
        var sessionBody = await session.ReadJsonAsync();
        Assert.True(session.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, sessionBody.ToString());
        var sessionToken = sessionBody.GetProperty("data").GetProperty("token").GetString()!;
        var issued = TestKeys.Issue([.. Scopes.All]);
        var tampered = issued.Token[..^4] + "AAAA";

        await RunWorkflowAsync(client, sessionToken, issued, tampered);

        var secretText = Encoding.ASCII.GetString(TestKeys.Secret);
        var forbidden = new Dictionary<string, string>
        {
            ["the session token"] = sessionToken,
            ["the session token's signature"] = sessionToken.Split('.')[2],
            ["the issued token"] = issued.Token,
            ["the issued token's signature"] = issued.Token.Split('.')[2],
            ["the tampered token's signature"] = tampered.Split('.')[2],
            ["the signing secret"] = secretText,
            ["the signing secret's start"] = secretText[..16],
            ["the TOTP secret (base32)"] = OtpNet.Base32Encoding.ToString(totpSecret),
            ["the TOTP secret (base64)"] = Convert.ToBase64String(totpSecret),
            ["the TOTP secret (hex)"] = Convert.ToHexString(totpSecret),
            ["the TOTP code"] = $"\"{code}\"",
        };
        var entries = app.Logs.Entries;
        Assert.True(entries.Count > 20, $"only {entries.Count} log entries: is logging on?");
        foreach (var entry in entries)
        {
            var text = entry.Message + "\n" + string.Join("\n", entry.Values.Select(v => $"{v.Key}={v.Value}"));
            foreach (var (what, secret) in forbidden)
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{what} is in a log entry of {entry.Category}: {text}");
            }
        }
    }

    private static async Task RunWorkflowAsync(HttpClient client, string sessionToken, IssuedToken issued, string tampered)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sessionToken);
        var importId = await client.CreateImportAsync(System.Text.Json.Nodes.JsonNode.Parse(FuzzCases.ValidImport)!);
        using (var patch = await client.PatchJsonAsync($"/imports/{importId}/citizens/3", """{"name": "Petrov Pavel"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        foreach (var path in new[] { $"/imports/{importId}/citizens", $"/imports/{importId}/citizens/birthdays", $"/imports/{importId}/towns/stat/percentile/age", "/imports" })
        {
            using var read = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using (var upload = await client.PostAsync("/datasets?name=secrets_check", new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.Token);
        using (var revoke = await client.PostJsonAsync("/auth/revocations", $$"""{"jti": "{{issued.Jti}}"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, revoke.StatusCode);
        }
        using (var revoked = await client.GetAsync("/imports"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        using (var refused = await client.GetAsync("/imports"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        client.DefaultRequestHeaders.Authorization = null;
        using var wrongCode = await client.PostJsonAsync("/auth/sessions", """{"name": "nobody", "code": "000000"}""");
        Assert.True((int)wrongCode.StatusCode is >= 400 and < 500);
    }
}
