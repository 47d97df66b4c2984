using System.Net;
using System.Text;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Analyzer.Tests.Storage;

public sealed class SqliteHousekeepingApp : SqliteApp
{
    public FakeTimeProvider FakeTime { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Time => FakeTime;
}

public sealed class PostgresHousekeepingApp : PostgresApp
{
    public FakeTimeProvider FakeTime { get; } = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Time => FakeTime;
}

public sealed class SqliteHousekeepingTests(SqliteHousekeepingApp app) : HousekeepingTests<SqliteHousekeepingApp>(app, app.FakeTime);

public sealed class PostgresHousekeepingTests(PostgresHousekeepingApp app) : HousekeepingTests<PostgresHousekeepingApp>(app, app.FakeTime), IPostgresTests;

/// <summary>
/// The housekeeping timer runs on the service's clock: moving a fake clock past an hour purges the
/// confirmation links that have expired and the revocations of tokens that must have expired, and only those.
/// </summary>
public abstract class HousekeepingTests<TApp>(TApp app, FakeTimeProvider time) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    private async Task<string> RequestLinkAsync(string dataset)
    {
        using var response = await client.GetAsync($"/datasets/{dataset}/rows/create?a=1");
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToString());
        return new Uri(body.GetProperty("data").GetProperty("confirm_url").GetString()!).PathAndQuery;
    }

    private async Task<long> PendingLinksAsync(string dataset)
    {
        await using var session = await app.Services.GetRequiredService<Database>().ConnectAsync(CancellationToken.None);
        await using var command = session.Command("SELECT COUNT(*) FROM dataset_pending_changes WHERE dataset = @dataset");
        command.AddParameter("@dataset", dataset);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (boundedly) until the background service has purged <paramref name="what"/> as of <paramref name="asOf"/> or later.</summary>
    private async Task WaitForPurgeAsync(string what, DateTimeOffset asOf)
    {
        for (var attempt = 0; attempt < 400; attempt++)
        {
            if (app.Logs.Entries.Any(e => e.Message.Contains(what, StringComparison.Ordinal)
                && e.Values.TryGetValue("Now", out var now) && now is DateTimeOffset at && at >= asOf))
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"no purge of {what} as of {asOf:O} was logged");
    }

    [BackendFact]
    public async Task Expired_confirmation_links_are_purged_on_the_timer_and_live_ones_stay()
    {
        const string dataset = "housekeeping";
        using (var upload = await client.PostAsync($"/datasets?name={dataset}", new StringContent("a\n1\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        await RequestLinkAsync(dataset);          // expires 24 h from now
        time.Advance(TimeSpan.FromHours(23));     // the timer ticks; the link is still valid
        await WaitForPurgeAsync("confirmation links", time.GetUtcNow());
        Assert.Equal(1, await PendingLinksAsync(dataset));

        var live = await RequestLinkAsync(dataset); // expires 24 h from now
        time.Advance(TimeSpan.FromHours(2));      // the first link expired, the second has 22 h left; the timer ticks
        await WaitForPurgeAsync("confirmation links", time.GetUtcNow());

        Assert.Equal(1, await PendingLinksAsync(dataset));
        using var confirmed = await client.PostAsync(live, null);
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
    }

    [BackendFact]
    public async Task Revocations_are_purged_once_the_longest_token_lifetime_has_passed()
    {
        var revocations = app.Services.GetRequiredService<TokenRevocations>();
        var old = "old-" + Guid.NewGuid().ToString("N");
        await revocations.RevokeAsync(old, time.GetUtcNow(), CancellationToken.None);

        time.Advance(new AuthOptions().MaxTokenLifetime); // a token issued just before the revocation may still be valid (clock skew)
        await WaitForPurgeAsync("revocations", time.GetUtcNow());
        Assert.NotNull(await revocations.FindAsync(old, CancellationToken.None));

        var recent = "recent-" + Guid.NewGuid().ToString("N");
        await revocations.RevokeAsync(recent, time.GetUtcNow(), CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));
        await WaitForPurgeAsync("revocations", time.GetUtcNow());

        Assert.Null(await revocations.FindAsync(old, CancellationToken.None));
        Assert.NotNull(await revocations.FindAsync(recent, CancellationToken.None));
    }
}
