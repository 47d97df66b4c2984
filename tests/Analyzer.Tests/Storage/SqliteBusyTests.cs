using System.Net;
using Analyzer.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Storage;

/// <summary>The service on SQLite with a write lock wait of one second.</summary>
public sealed class ShortBusyTimeoutApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Analyzer:DB_BUSY_TIMEOUT"] = "1" };

    /// <summary>A connection of the test's own to the service's database file.</summary>
    public SqliteConnection Connect() => new($"Data Source={DatabaseUrl["sqlite://".Length..]};Pooling=false");
}

/// <summary>A write behind another writer's lock (a long upload, here a transaction the test holds) is a bounded wait, then 503.</summary>
public sealed class SqliteBusyTests(ShortBusyTimeoutApp app) : IClassFixture<ShortBusyTimeoutApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Fact]
    public async Task A_write_behind_a_held_write_lock_is_503_with_retry_after_and_succeeds_once_the_lock_is_released()
    {
        var importId = await client.CreateImportAsync(Import(Citizen(1)));
        await using var connection = app.Connect();
        await connection.OpenAsync();
        await using (var transaction = connection.BeginTransaction(deferred: false)) // BEGIN IMMEDIATE: the write lock
        {
            using var import = await client.PostJsonAsync("/imports", Import(Citizen(1)).ToJsonString());
            await import.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.True(import.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {import.Headers.RetryAfter}");

            using var patch = await client.PatchJsonAsync($"/imports/{importId}/citizens/1", """{"name": "Ann"}""");
            await patch.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);

            // Readers work on snapshots: the lock does not stop them.
            using var read = await client.GetAsync($"/imports/{importId}/citizens");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            await transaction.RollbackAsync();
        }

        using var after = await client.PatchJsonAsync($"/imports/{importId}/citizens/1", """{"name": "Ann"}""");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
