using System.Net;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Web;

/// <summary><c>GET /</c>: an index of where to go, open without a token, and documented.</summary>
public sealed class IndexTests(SqliteAuthApp app) : IClassFixture<SqliteAuthApp>
{
    [Fact]
    public async Task The_root_answers_where_the_docs_the_openapi_document_and_health_are_without_a_token()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var index = await response.ReadJsonAsync();
        Assert.Equal("/docs", index.GetProperty("docs").GetString());
        Assert.Equal("/openapi/v1.json", index.GetProperty("openapi").GetString());
        Assert.Equal("/health", index.GetProperty("health").GetString());
        foreach (var path in new[] { "docs", "openapi", "health" }.Select(name => index.GetProperty(name).GetString()!))
        {
            using var followed = await client.GetAsync(new Uri(path, UriKind.Relative)); // open with authentication on, too
            Assert.True(followed.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)followed.StatusCode}");
        }
        var document = await ApiDocument.LoadAsync(client);
        Assert.Contains(document.Operations(), o => o.Path == "/" && o.Method == "GET");
        await document.AssertDocumentedAsync(response, "/");
    }
}

/// <summary><c>GET /</c> for a browser: the dashboard's page, with a policy that allows this origin only.</summary>
public sealed class DashboardPageTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Theory]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true)]
    [InlineData("text/html", true)]
    [InlineData("application/json", false)]
    [InlineData("application/json, text/html;q=0.5", false)]
    [InlineData("*/*", false)]
    public async Task Browsers_get_the_page_and_other_clients_the_json_index(string accept, bool page)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", accept);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(page ? "text/html" : "application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept", response.Headers.Vary);
        if (page)
        {
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("<script type=\"module\" src=\"/app/main.js\"></script>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>", html, StringComparison.Ordinal); // no inline script: the policy forbids it
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/app/main.js", "text/javascript")]
    [InlineData("/app/app.css", "text/css")]
    [InlineData("/vendor/chart.umd.min.js", "text/javascript")]
    [InlineData("/vendor/land-110m.json", "application/json")]
    public async Task The_dashboards_files_are_served_from_the_executable(string path, string type)
    {
        using var response = await app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("Content-Security-Policy"));
    }
}
