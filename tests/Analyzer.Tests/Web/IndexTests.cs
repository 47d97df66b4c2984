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
