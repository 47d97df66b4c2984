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

        var samples = await Client.ScrapeAsync();

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

    [BackendFact]
    public async Task A_workflow_shows_in_the_request_durations_the_answer_cache_and_the_import_sizes()
    {
        using var measured = new HostMeasurements(app.Services);
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
        // client has read the answer: wait (at most 10 s) until the POST and the four GETs are recorded.
        const string Duration = "http.server.request.duration";
        var birthdaysRoute = ("http.route", "/imports/{import_id:id}/citizens/birthdays");
        for (var wait = 0; wait < 100 && measured.Count(Duration) < 5; wait++)
        {
            await Task.Delay(100);
        }
        Assert.Equal(3, measured.Count(Duration, birthdaysRoute, ("http.response.status_code", 200)));
        Assert.Equal(1, measured.Count(Duration, ("http.request.method", "POST"), ("http.response.status_code", 201)));

        // The first GET computes the answer, the next two read it from the cache.
        Assert.Equal(1, measured.Sum("analyzer.answer_cache.misses"));
        Assert.Equal(2, measured.Sum("analyzer.answer_cache.hits"));

        // The POST left the import in memory: the birthdays' computing and the GET of the citizens read it from there.
        Assert.Equal(2, measured.Sum("analyzer.citizen_cache.hits"));
        Assert.Equal(0, measured.Sum("analyzer.citizen_cache.misses"));
        Assert.Equal([Size], measured.Values("analyzer.import.citizens"));

        // The exporter serves every one of these instruments, in Prometheus' names, histograms with their buckets.
        string[] names =
        [
            "http_server_request_duration_seconds_bucket", "analyzer_answer_cache_hits_total", "analyzer_answer_cache_misses_total",
            "analyzer_citizen_cache_hits_total", "analyzer_citizen_cache_held_bytes", "analyzer_db_sessions_open",
        ];
        var scraped = await Client.ScrapeUntilAsync(now =>
            names.All(now.Has) && now.Any(s => s.Name == "analyzer_import_citizens_bucket" && s.Labels.GetValueOrDefault("le") == "100"),
            TimeSpan.FromSeconds(10));
        Assert.All(names, name => Assert.True(scraped.Has(name), $"{name} is not in the scrape"));
        Assert.Contains(scraped, s => s.Name == "analyzer_import_citizens_bucket" && s.Labels.GetValueOrDefault("le") == "100");
        Assert.True(scraped.Has("dotnet_gc_collections_total") || scraped.Has("process_runtime_dotnet_gc_collections_count_total"), "no runtime metrics");
    }

    [BackendFact]
    public async Task Another_service_in_the_process_neither_adds_to_nor_removes_this_ones_series()
    {
        // A replica of its own, so that its series start empty, and another one on the same database, in this process,
        // with meters of the same names: the other stores a 7-citizen import, is scraped and stops between this one's two
        // 50-citizen imports. This one's series neither count the other's import nor vanish with its meters.
        await using var replica = app.WithWebHostBuilder(_ => { });
        using var client = replica.CreateClient();
        await client.CreateImportAsync(Random(50, 20, seed: 14, app.Clock.Today));
        await using (var other = app.WithWebHostBuilder(_ => { }))
        {
            using var otherClient = other.CreateClient();
            await otherClient.CreateImportAsync(Random(7, 3, seed: 15, app.Clock.Today));
            using var otherScrape = await otherClient.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, otherScrape.StatusCode);
        }
        await client.CreateImportAsync(Random(50, 20, seed: 16, app.Clock.Today));

        var scraped = await client.ScrapeUntilAsync(now => now.Sum("analyzer_import_citizens_count") >= 2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, scraped.Sum("analyzer_import_citizens_count"));
        Assert.Equal(100, scraped.Sum("analyzer_import_citizens_sum"));
        Assert.True(scraped.Has("http_server_request_duration_seconds_bucket"), "the request durations vanished with the other service");
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
