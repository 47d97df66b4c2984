using System.Net;
using System.Net.Http.Headers;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Observability;

public sealed class SqliteMetricsTests(SqliteApp app) : MetricsTests<SqliteApp>(app);

public sealed class PostgresMetricsTests(PostgresApp app) : MetricsTests<PostgresApp>(app), IPostgresTests
{
    [BackendFact]
    public async Task The_npgsql_connection_pool_is_in_the_metrics()
    {
        await Client.CreateImportAsync(ContractExample());

        var samples = await ScrapeAsync();

        // Npgsql 10's names (OpenTelemetry's database conventions): connections per state, and the pool's maximum.
        Assert.True(samples.Sum("db_client_connection_count") >= 1, "no db_client_connection_count after a request");
        Assert.True(samples.Sum("db_client_connection_max") >= 1, "no db_client_connection_max");
        Assert.Contains(samples, s => s.Name == "db_client_connection_count" && s.Labels.GetValueOrDefault("db_client_connection_state") == "idle");
    }
}

/// <summary>GET /metrics after a workflow: the series of issue 13 are there and moved by what the workflow did.</summary>
public abstract class MetricsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    protected async Task<IReadOnlyList<Sample>> ScrapeAsync()
    {
        using var response = await Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /metrics: {(int)response.StatusCode} {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(text);
    }

    [BackendFact]
    public async Task A_workflow_shows_in_the_request_durations_the_answer_cache_and_the_import_sizes()
    {
        var before = await ScrapeAsync();
        const int Size = 50;
        var importId = await Client.CreateImportAsync(Random(Size, 20, seed: 13, app.Clock.Today));
        for (var i = 0; i < 3; i++)
        {
            using var birthdays = await Client.GetAsync($"/imports/{importId}/citizens/birthdays");
            Assert.Equal(HttpStatusCode.OK, birthdays.StatusCode);
        }
        using (var citizens = await Client.GetAsync($"/imports/{importId}/citizens"))
        {
            Assert.Equal(HttpStatusCode.OK, citizens.StatusCode);
        }

        // ASP.NET Core records a request's duration when the request ends on the server, which may be just after the
        // client has read the answer, and the exporter serves a scrape from its cache for a moment: scrape until every
        // count below has grown (or 10 s have passed). Counts only grow, and other tests' services in this process may
        // add to them (every provider listens to every host's meters of the same name), hence "at least".
        const string Duration = "http_server_request_duration_seconds_count";
        var birthdaysRoute = ("http_route", "/imports/{import_id:id}/citizens/birthdays");
        var ok200 = ("http_response_status_code", "200");
        bool AllIn(IReadOnlyList<Sample> now) =>
            now.Sum(Duration, birthdaysRoute, ok200) - before.Sum(Duration, birthdaysRoute, ok200) >= 3
            && now.Sum("analyzer_answer_cache_misses_total") - before.Sum("analyzer_answer_cache_misses_total") >= 1
            && now.Sum("analyzer_answer_cache_hits_total") - before.Sum("analyzer_answer_cache_hits_total") >= 2
            && now.Sum("analyzer_citizen_cache_hits_total") - before.Sum("analyzer_citizen_cache_hits_total") >= 2
            && now.Sum("analyzer_import_citizens_count") - before.Sum("analyzer_import_citizens_count") >= 1;
        var after = await ScrapeAsync();
        for (var wait = 0; wait < 50 && !AllIn(after); wait++)
        {
            await Task.Delay(200);
            after = await ScrapeAsync();
        }
        Assert.True(after.Sum(Duration, birthdaysRoute, ok200) - before.Sum(Duration, birthdaysRoute, ok200) >= 3,
            "the three GETs of birthdays are not counted under their route");
        Assert.True(after.Has("http_server_request_duration_seconds_bucket"), "request durations are not a histogram");
        Assert.True(after.Sum(Duration, ("http_request_method", "POST"), ("http_response_status_code", "201"))
            > before.Sum(Duration, ("http_request_method", "POST"), ("http_response_status_code", "201")));

        // The first GET computes the answer, the next two read it from the cache.
        Assert.True(after.Sum("analyzer_answer_cache_misses_total") - before.Sum("analyzer_answer_cache_misses_total") >= 1, "no cache miss counted");
        Assert.True(after.Sum("analyzer_answer_cache_hits_total") - before.Sum("analyzer_answer_cache_hits_total") >= 2, "cache hits not counted");

        // The POST left the import in memory: the birthdays' computing and the GET of the citizens read it from there.
        Assert.True(after.Sum("analyzer_citizen_cache_hits_total") - before.Sum("analyzer_citizen_cache_hits_total") >= 2, "citizen cache hits not counted");
        Assert.True(after.Has("analyzer_citizen_cache_held_bytes"), "no gauge of the imports held in memory");

        Assert.True(after.Sum("analyzer_import_citizens_count") - before.Sum("analyzer_import_citizens_count") >= 1, "the import is not counted");
        Assert.True(after.Sum("analyzer_import_citizens_sum") - before.Sum("analyzer_import_citizens_sum") >= Size, "the import's citizens are not summed");
        Assert.True(after.Sum("analyzer_import_citizens_bucket", ("le", "100")) - before.Sum("analyzer_import_citizens_bucket", ("le", "100")) >= 1,
            "a 50-citizen import is not in the bucket le=100");
        Assert.True(after.Has("analyzer_db_sessions_open"), "no gauge of the open database sessions");
        Assert.True(after.Has("dotnet_gc_collections_total") || after.Has("process_runtime_dotnet_gc_collections_count_total"), "no runtime metrics");
    }

    [BackendFact]
    public async Task Metrics_are_open_while_authentication_is_off()
    {
        using var response = await Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>With authentication on, /metrics needs analyzer:admin.</summary>
public sealed class MetricsAuthTests(SqliteAuthApp app) : IClassFixture<SqliteAuthApp>
{
    private readonly HttpClient client = app.CreateClient();

    private async Task<HttpResponseMessage> ScrapeAsync(string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Metrics_need_the_admin_scope()
    {
        using (var anonymous = await ScrapeAsync(null))
        {
            await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        using (var reader = await ScrapeAsync(TestKeys.Issue(Scopes.Read, Scopes.Write).Token))
        {
            await reader.AssertProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("analyzer:admin", reader.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        using var admin = await ScrapeAsync(TestKeys.Issue(Scopes.Admin).Token);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("# TYPE ", await admin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
