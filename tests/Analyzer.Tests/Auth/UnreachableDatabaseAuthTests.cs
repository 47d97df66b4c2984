using System.Net;
using System.Net.Http.Headers;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Auth;

/// <summary>Authentication on, and a database that does not answer (nothing listens on port 1).</summary>
public sealed class UnreachableDatabaseAuthApp : AnalyzerApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(TestKeys.Settings) { ["Analyzer:NO_MIGRATE"] = "true" };

    protected override Task<string?> CreateDatabaseAsync() =>
        Task.FromResult<string?>("postgresql://analyzer@127.0.0.1:1/analyzer?connect_timeout=1");
}

/// <summary>A valid token must not make anonymous endpoints depend on the revocation lookup; a failed lookup is 503, never 500.</summary>
public sealed class UnreachableDatabaseAuthTests(UnreachableDatabaseAuthApp app) : IClassFixture<UnreachableDatabaseAuthApp>
{
    private readonly HttpClient client = app.CreateClient();

    private static HttpRequestMessage WithToken(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestKeys.Issue([.. Scopes.All]).Token);
        return request;
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs")]
    public async Task An_anonymous_endpoint_answers_a_request_with_a_valid_token_without_the_database(string path)
    {
        using var response = await client.SendAsync(WithToken(path));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task An_unknown_path_with_a_valid_token_is_a_404_without_the_database()
    {
        using var response = await client.SendAsync(WithToken("/nothing/here"));
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Health_with_a_valid_token_says_503_unavailable_not_500()
    {
        using var response = await client.SendAsync(WithToken("/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Theory]
    [InlineData("/imports/1/citizens")]
    [InlineData("/datasets")]
    public async Task A_protected_endpoint_whose_revocation_lookup_fails_is_a_503_with_retry_after(string path)
    {
        using var response = await client.SendAsync(WithToken(path));
        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {response.Headers.RetryAfter}");
    }

    [Fact]
    public async Task A_protected_endpoint_without_a_token_is_still_401()
    {
        using var response = await client.GetAsync("/imports/1/citizens");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
