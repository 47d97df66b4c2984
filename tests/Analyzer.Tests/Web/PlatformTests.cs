using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Web;

public sealed class SqlitePlatformTests(SqliteApp app) : PlatformTests<SqliteApp>(app);

public sealed class PostgresPlatformTests(PostgresApp app) : PlatformTests<PostgresApp>(app), IPostgresTests;

/// <summary>Request ids, access logs, compression, health: what every endpoint shares.</summary>
public abstract class PlatformTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    [BackendTheory]
    [InlineData("abc.DEF_123-x")]
    [InlineData("7")]
    public async Task An_acceptable_client_request_id_is_kept_returned_and_logged(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/imports/424242/citizens");
        request.Headers.Add("X-Request-Id", requestId);

        using var response = await client.SendAsync(request);

        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(requestId, problem.GetProperty("request_id").GetString());
        var access = Assert.Single(app.Logs.Entries, e => e.Category == "Analyzer.Access" && Equals(e.Values.GetValueOrDefault("request_id"), requestId));
        Assert.Equal("GET", access.Values["Method"]);
        Assert.Equal("/imports/{import_id:id}/citizens", access.Values["Route"]);
        Assert.Equal(404, access.Values["StatusCode"]);
        Assert.True((long)access.Values["ResponseBytes"]! > 0);
        Assert.True(access.Values.ContainsKey("DurationMs"));
    }

    [BackendTheory]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("ünïcode")]
    [InlineData("")]
    public async Task An_unacceptable_request_id_is_replaced(string offered)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.TryAddWithoutValidation("X-Request-Id", offered);
        using var response = await client.SendAsync(request);
        var returned = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.NotEqual(offered, returned);
        Assert.Matches("^[0-9a-f]{32}$", returned);
    }

    [BackendFact]
    public async Task A_request_id_longer_than_128_characters_is_replaced()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Request-Id", new string('a', 129));
        using var response = await client.SendAsync(request);
        Assert.Equal(32, Assert.Single(response.Headers.GetValues("X-Request-Id")).Length);
    }

    [BackendTheory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task Compressed_citizens_of_a_10000_citizen_import_decode_to_the_same_json(string encoding)
    {
        var importId = await client.CreateImportAsync(Citizens.Random(10_000, 1_000, seed: 5, FixedClock.DefaultToday));
        using var plain = await client.GetAsync($"/imports/{importId}/citizens");
        var expected = await plain.Content.ReadAsByteArrayAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/imports/{importId}/citizens");
        request.Headers.Add("Accept-Encoding", encoding);
        using var compressed = await client.SendAsync(request);

        Assert.Equal(encoding, Assert.Single(compressed.Content.Headers.ContentEncoding));
        var body = await compressed.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length < expected.Length / 3, $"{body.Length} compressed bytes for {expected.Length}");
        await using Stream decoder = encoding == "br"
            ? new BrotliStream(new MemoryStream(body), CompressionMode.Decompress)
            : new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var decoded = new MemoryStream();
        await decoder.CopyToAsync(decoded);
        Assert.Equal(expected, decoded.ToArray());
    }

    [BackendTheory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    public async Task Health_endpoints_answer_200_json(string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [BackendFact]
    public async Task Readiness_answers_200_json_with_the_outbox_lag_in_its_details()
    {
        using var response = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        var events = json.RootElement.GetProperty("details").GetProperty("events");
        Assert.False(events.GetProperty("kafka_relay").GetBoolean());
        Assert.True(events.GetProperty("unpublished").GetInt64() >= 0);
    }

    [BackendTheory]
    [InlineData("/imports", "GET, POST, OPTIONS")]
    [InlineData("/imports/1", "DELETE, GET, OPTIONS")]
    [InlineData("/imports/1/citizens", "GET, OPTIONS")]
    [InlineData("/imports/1/citizens/2", "PATCH, OPTIONS")]
    [InlineData("/imports/1/citizens/birthdays", "GET, OPTIONS")]
    [InlineData("/imports/1/towns/stat/percentile/age", "GET, OPTIONS")]
    [InlineData("/health", "GET, HEAD, OPTIONS")]
    public async Task Options_on_a_routed_path_is_200_with_the_methods_of_the_routing_table(string path, string allow)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
    }

    [BackendFact]
    public async Task A_405_carries_allow_and_options_on_an_unknown_path_is_404()
    {
        using var wrongMethod = await client.DeleteAsync("/imports/1/citizens/2");
        await wrongMethod.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Equal("PATCH, OPTIONS", string.Join(", ", wrongMethod.Content.Headers.Allow));

        using var unknown = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/nothing/here"));
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendTheory]
    [InlineData("GET", "/nothing/here", "text/html", HttpStatusCode.NotFound)]
    [InlineData("GET", "/imports/", "text/html,application/xhtml+xml", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/imports/1/citizens/2", "text/html", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/imports/424242/citizens", "text/plain", HttpStatusCode.NotFound)]
    [InlineData("GET", "/nothing/here", "image/png", HttpStatusCode.NotFound)]
    public async Task Errors_are_problem_json_whatever_the_accept_header(string method, string path, string accept, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await client.SendAsync(request);
        await response.AssertProblemAsync(status);
    }

    [BackendFact]
    public async Task Cors_is_off_by_default()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/imports");
        request.Headers.Add("Origin", "https://elsewhere.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await client.SendAsync(request);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        await client.CreateImportAsync(Import());
    }
}

/// <summary>The service with CORS on for one origin.</summary>
public sealed class CorsApp : SqliteApp
{
    public const string Origin = "https://analysts.example";

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Analyzer:CORS_ORIGINS"] = $"{Origin}, https://other.example" };
}

public sealed class CorsTests(CorsApp app) : IClassFixture<CorsApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Fact]
    public async Task Preflight_from_a_configured_origin_is_allowed_and_others_are_not()
    {
        using var allowed = await client.SendAsync(Preflight(CorsApp.Origin));
        Assert.Equal(CorsApp.Origin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));

        using var refused = await client.SendAsync(Preflight("https://stranger.example"));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Simple_requests_expose_the_request_id()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("Origin", CorsApp.Origin);
        using var response = await client.SendAsync(request);
        Assert.Equal(CorsApp.Origin, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("X-Request-Id", Assert.Single(response.Headers.GetValues("Access-Control-Expose-Headers")), StringComparison.OrdinalIgnoreCase);
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/imports");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }
}

/// <summary>The service on a database that does not answer (nothing listens on port 1).</summary>
public sealed class UnreachableDatabaseApp : AnalyzerApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Analyzer:NO_MIGRATE"] = "true" };

    protected override Task<string?> CreateDatabaseAsync() =>
        Task.FromResult<string?>("postgresql://analyzer@127.0.0.1:1/analyzer?connect_timeout=1");
}

public sealed class UnreachableDatabaseTests(UnreachableDatabaseApp app) : IClassFixture<UnreachableDatabaseApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/ready")]
    public async Task Health_is_503_when_the_database_does_not_answer(string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Liveness_does_not_depend_on_the_database()
    {
        using var response = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/imports")]
    [InlineData("GET", "/imports/1/citizens")]
    [InlineData("PATCH", "/imports/1/citizens/1")]
    [InlineData("GET", "/imports/1/towns/stat/percentile/age")]
    [InlineData("GET", "/datasets")]
    public async Task A_data_endpoint_is_a_503_problem_with_retry_after_when_the_database_cannot_be_reached(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = ApiClient.Json(method == "POST" ? Import(Citizen(1)).ToJsonString() : """{"name": "Ann"}""");
        }
        request.Headers.Add("X-Request-Id", "unreachable-1");

        request.Headers.TryAddWithoutValidation("Accept", "text/html");

        using var response = await client.SendAsync(request);

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {response.Headers.RetryAfter}");
        var text = problem.ToString();
        Assert.DoesNotContain("Npgsql", text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.Equal("unreachable-1", problem.GetProperty("request_id").GetString());
    }
}

/// <summary>The service on a SQLite database whose citizens table a test has renamed: a failure nothing classifies.</summary>
public sealed class BrokenSchemaApp : SqliteApp
{
    private bool broken;

    /// <summary>Renames the citizens table away (once), so that every import fails with "no such table".</summary>
    public async Task BreakAsync()
    {
        if (broken)
        {
            return;
        }
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabaseUrl["sqlite://".Length..]};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "ALTER TABLE citizens RENAME TO citizens_moved_away";
        await command.ExecuteNonQueryAsync();
        broken = true;
    }
}

public sealed class UnexpectedErrorTests(BrokenSchemaApp app) : IClassFixture<BrokenSchemaApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Fact]
    public async Task An_unexpected_error_is_a_500_problem_without_internals_and_is_logged_with_the_request_id()
    {
        await app.BreakAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/imports") { Content = ApiClient.Json(Import(Citizen(1)).ToJsonString()) };
        request.Headers.Add("X-Request-Id", "failing-request-1");

        using var response = await client.SendAsync(request);

        var problem = await response.AssertProblemAsync(HttpStatusCode.InternalServerError);
        var text = problem.ToString();
        Assert.DoesNotContain("Npgsql", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sqlite", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("citizens_moved_away", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.Equal("failing-request-1", problem.GetProperty("request_id").GetString());
        Assert.Contains(app.Logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error
            && Equals(e.Values.GetValueOrDefault("request_id"), "failing-request-1"));
    }
}
