using System.Net;
using System.Text;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Analyzer.Tests.Hostile;

[Trait("Category", "Fuzz")]
public sealed class SqliteFuzzTests(SqliteAuthApp app, ITestOutputHelper output) : FuzzTests<SqliteAuthApp>(app, output)
{
    protected override int Cases => 10_000;
}

/// <summary>A smaller share on PostgreSQL: the same generators, other SQL and other types under them.</summary>
[Trait("Category", "Fuzz")]
public sealed class PostgresFuzzTests(PostgresAuthApp app, ITestOutputHelper output) : FuzzTests<PostgresAuthApp>(app, output), IPostgresTests
{
    protected override int Cases => 1_500;
}

/// <summary>
/// The fuzz suite of issue 13 (<see cref="FuzzCases"/>, <see cref="FuzzRunner"/>), in process with authentication on, from a
/// fixed seed: no case may get a 5xx, every 4xx is problem+json, and no 4xx changes any table. The bench's
/// <c>fuzz</c> verb runs the same cases against the Release executable for as many cases as one wants.
/// </summary>
public abstract class FuzzTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    public const ulong Seed = 20261201;

    protected abstract int Cases { get; }

    [BackendFact]
    public async Task Fuzzed_requests_never_get_a_5xx_answer_4xx_as_problems_and_leave_the_data_alone()
    {
        var token = TestKeys.Issue([.. Scopes.All]).Token;
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var targets = await FuzzSetup.CreateTargetsAsync(client, token, TestKeys.Secret, TestKeys.Issuer, TestKeys.Audience);
        var database = app.Services.GetRequiredService<Analyzer.Storage.Database>();
        var postgres = app is PostgresApp;
        async Task<string> DigestAsync()
        {
            await using var session = await database.ConnectAsync(CancellationToken.None);
            return await TableDigest.ComputeAsync(session.Connection, postgres);
        }

        var cases = FuzzCases.Sample(targets, Seed, Cases, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var report = await FuzzRunner.RunAsync(client, targets, cases, DigestAsync, timeout.Token);

        output.WriteLine(report.ToString());
        Assert.True(report.Failures.Count == 0, report + "\n" + string.Join("\n", report.Failures));
        Assert.True(report.Cases >= Cases * 9 / 10, $"only {report.Cases} of {Cases} cases were sent: {report}");
    }
}

/// <summary>What the cases aim at, created through the API: an import of <see cref="FuzzCases.ValidImport"/> and a small dataset.</summary>
public static class FuzzSetup
{
    public static async Task<FuzzTargets> CreateTargetsAsync(HttpClient client, string token, byte[] secret, string issuer, string audience)
    {
        using var import = await client.PostAsync("/imports", new StringContent(FuzzCases.ValidImport, Encoding.UTF8, "application/json"));
        var importBody = await import.Content.ReadAsStringAsync();
        if (import.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /imports: {(int)import.StatusCode} {importBody}");
        }
        var importId = System.Text.Json.JsonDocument.Parse(importBody).RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        var dataset = "fuzz_target";
        using var upload = await client.PostAsync($"/datasets?name={dataset}",
            new StringContent("n,label,d,x\n1,one,2024-05-01,1.5\n2,two,2024-05-02,2.5\n3,three,0001-01-01,-1\n", Encoding.UTF8, "text/csv"));
        if (upload.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /datasets: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
        }
        return new FuzzTargets(importId, 2, dataset, token, secret, issuer, audience);
    }
}
