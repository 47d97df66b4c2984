using System.Net;
using System.Text;
using System.Text.Json;
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
/// confirmation links that have expired, and only those.
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

    [BackendFact]
    public async Task Expired_confirmation_links_are_purged_on_the_timer_and_live_ones_stay()
    {
        const string dataset = "housekeeping";
        using (var upload = await client.PostAsync($"/datasets?name={dataset}", new StringContent("a\n1\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        await RequestLinkAsync(dataset);        // expires 24 h from now
        time.Advance(TimeSpan.FromMinutes(59)); // no tick yet: nothing has expired either
        Assert.Equal(1, await PendingLinksAsync(dataset));

        time.Advance(TimeSpan.FromHours(23));   // 23 h 59 min: the timer has ticked, the first link is still valid
        var live = await RequestLinkAsync(dataset); // expires 24 h from now
        Assert.Equal(2, await PendingLinksAsync(dataset));

        time.Advance(TimeSpan.FromHours(1));    // the first link expired, the second has 23 h left; the timer ticks
        for (var attempt = 0; attempt < 200 && await PendingLinksAsync(dataset) > 1; attempt++)
        {
            await Task.Delay(50); // the purge runs on the background service: wait for it, boundedly
        }

        Assert.Equal(1, await PendingLinksAsync(dataset));
        using var confirmed = await client.PostAsync(live, null);
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
    }
}
