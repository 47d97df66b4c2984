using System.Net;
using System.Net.Http.Headers;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;

namespace Analyzer.Tests.Hostile;

/// <summary>The headers every answer carries (<see cref="SecurityHeaders"/>), on answers of every kind: data, problems, files, docs.</summary>
public sealed class SecurityHeadersTests(SqliteAuthApp app) : IClassFixture<SqliteAuthApp>
{
    private static void AssertEveryAnswersHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.False(response.Headers.Contains("Server"), "a Server header names the server to whoever probes");
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS without --tls-cert"); // with it: TlsTests
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/nothing-here")]
    [InlineData("/openapi/v1.json")]
    public async Task Anonymous_answers_carry_nosniff_and_no_referrer_and_are_not_marked_no_store(string path)
    {
        using var response = await app.CreateClient().GetAsync(path);
        AssertEveryAnswersHeaders(response);
        Assert.NotEqual("no-store", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/imports", HttpStatusCode.OK)]
    [InlineData("/imports/999999", HttpStatusCode.NotFound)]
    [InlineData("/datasets", HttpStatusCode.OK)]
    public async Task Authenticated_answers_are_no_store(string path, HttpStatusCode status)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestKeys.Issue([.. Scopes.All]).Token);
        using var response = await client.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        AssertEveryAnswersHeaders(response);
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control: {response.Headers.CacheControl}");
    }

    [Fact]
    public async Task A_refused_token_is_answered_no_store_too()
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not.a.token");
        using var response = await client.GetAsync("/imports");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        AssertEveryAnswersHeaders(response);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Theory]
    [InlineData("/docs/index.html")]
    [InlineData("/docs/index.js")]
    public async Task The_docs_carry_a_content_security_policy_of_this_origin(string path)
    {
        using var response = await app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertEveryAnswersHeaders(response);
        var policy = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(SecurityHeaders.DocsContentSecurityPolicy, policy);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_keeps_its_content_security_policy()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await app.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertEveryAnswersHeaders(response);
        Assert.Equal(Dashboard.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
    }
}
