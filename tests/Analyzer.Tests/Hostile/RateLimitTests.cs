using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;
using Microsoft.AspNetCore.Http;

namespace Analyzer.Tests.Hostile;

/// <summary>Authentication on, 3 reads and 2 writes per second per client.</summary>
public sealed class RateLimitedApp : SqliteApp
{
    public const int Reads = 3;
    public const int Writes = 2;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(TestKeys.Settings)
    {
        ["Analyzer:RATE_LIMIT_READS"] = Reads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Analyzer:RATE_LIMIT_WRITES"] = Writes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// <see cref="RateLimits"/>: a budget of reads and one of writes per token subject. A bucket refills each second, so the
/// tests send many requests at once and count: the first N of a budget always pass, and a burst of 20 cannot all pass.
/// </summary>
public sealed class RateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    private HttpClient ClientOf(string subject)
    {
        var client = app.CreateClient();
        var token = Tokens.Issue(TestKeys.Secret, Scopes.All, TimeSpan.FromHours(1), DateTimeOffset.UtcNow, subject, TestKeys.Issuer, TestKeys.Audience).Token;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<HttpResponseMessage[]> BurstAsync(HttpClient client, HttpMethod method, string path, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ =>
        {
            var request = new HttpRequestMessage(method, path);
            if (method != HttpMethod.Get)
            {
                request.Content = ApiClient.Json("""{"citizens": "not a list"}""");
            }
            return client.SendAsync(request);
        }));

    private static async Task AssertTooManyAsync(HttpResponseMessage[] answers, int budget)
    {
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
        Assert.True(refused.Length > 0, $"no 429 among {answers.Length} requests over a budget of {budget}");
        Assert.True(answers.Length - refused.Length >= budget, $"only {answers.Length - refused.Length} of a budget of {budget} passed");
        var problem = await refused[0].AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains($"{budget} per second", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(int.Parse(refused[0].Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("nosniff", refused[0].Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Reads_beyond_the_budget_get_429_with_Retry_After_while_writes_have_their_own_budget()
    {
        using var client = ClientOf("reader-" + Guid.NewGuid().ToString("N"));
        var reads = await BurstAsync(client, HttpMethod.Get, "/imports", 20);
        await AssertTooManyAsync(reads, RateLimitedApp.Reads);
        using var write = await client.PostJsonAsync("/imports", """{"citizens": "not a list"}""");
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);
        Array.ForEach(reads, r => r.Dispose());
    }

    [Fact]
    public async Task Writes_beyond_the_budget_get_429_and_store_nothing()
    {
        using var client = ClientOf("writer-" + Guid.NewGuid().ToString("N"));
        var writes = await BurstAsync(client, HttpMethod.Post, "/imports", 20);
        await AssertTooManyAsync(writes, RateLimitedApp.Writes);
        Assert.All(writes.Where(w => w.StatusCode != HttpStatusCode.TooManyRequests), w => Assert.Equal(HttpStatusCode.BadRequest, w.StatusCode));
        Array.ForEach(writes, w => w.Dispose());
    }

    [Fact]
    public async Task Each_subject_has_its_own_budget()
    {
        using var greedy = ClientOf("greedy-" + Guid.NewGuid().ToString("N"));
        var burst = await BurstAsync(greedy, HttpMethod.Get, "/imports", 20);
        Assert.Contains(burst, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        using var other = ClientOf("other-" + Guid.NewGuid().ToString("N"));
        using var answer = await other.GetAsync("/imports");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Array.ForEach(burst, r => r.Dispose());
    }

    [Fact]
    public async Task Health_probes_are_never_limited()
    {
        var probes = await BurstAsync(app.CreateClient(), HttpMethod.Get, "/health/live", 20);
        Assert.All(probes, p => Assert.Equal(HttpStatusCode.OK, p.StatusCode));
        Array.ForEach(probes, p => p.Dispose());
    }

    [Fact]
    public void A_client_is_its_token_subject_else_its_address()
    {
        var anonymous = new DefaultHttpContext();
        anonymous.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        Assert.Equal("ip:192.0.2.7", RateLimits.Client(anonymous));

        var other = new DefaultHttpContext();
        other.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.8");
        Assert.NotEqual(RateLimits.Client(anonymous), RateLimits.Client(other));

        var signedIn = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "Bearer")) };
        signedIn.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        Assert.Equal("sub:alice", RateLimits.Client(signedIn));
    }

    [Fact]
    public void Limits_are_off_by_default()
    {
        var web = new WebOptions();
        Assert.Equal(0, web.RateLimitReads);
        Assert.Equal(0, web.RateLimitWrites);
    }
}
