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
    protected override int Cases => 9_000;
}

/// <summary>A smaller share on PostgreSQL: the same generators, other SQL and other types under them.</summary>
[Trait("Category", "Fuzz")]
public sealed class PostgresFuzzTests(PostgresAuthApp app, ITestOutputHelper output) : FuzzTests<PostgresAuthApp>(app, output), IPostgresTests
{
    protected override int Cases => 1_000;
}

/// <summary>
/// The fuzz suite of issue 13 (<see cref="FuzzCases"/>, <see cref="FuzzRunner"/>), in process with authentication on, from a
/// fixed seed: no case may get a 5xx, every 4xx is problem+json, and no 4xx changes any table. The bench's
/// <c>fuzz</c> verb runs the same cases against the Release executable for as many cases as one wants.
/// </summary>
public abstract class FuzzTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    public const ulong Seed = 20261201;

    // SQLite 9,000 + PostgreSQL 1,000: the 10,000 cases a run of the suite sends.

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
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var report = await FuzzRunner.RunAsync(client, targets, cases, DigestAsync, timeout.Token);

        output.WriteLine(report.ToString());
        Assert.True(report.Failures.Count == 0, report + "\n" + string.Join("\n", report.Failures));
        Assert.True(report.Cases >= Cases * 9 / 10, $"only {report.Cases} of {Cases} cases were sent: {report}");
    }
}
