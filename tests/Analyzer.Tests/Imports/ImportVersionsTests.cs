using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Imports;

public sealed class SqliteImportVersionsTests(SqliteApp app) : ImportVersionsTests<SqliteApp>(app);

public sealed class PostgresImportVersionsTests(PostgresApp app) : ImportVersionsTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// <see cref="ImportVersions"/>: requests waiting at the same time share one statement, and none is answered by a
/// statement that started before it arrived.
/// </summary>
public abstract class ImportVersionsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();
    private ImportVersions Heads => app.Services.GetRequiredService<ImportVersions>();

    [BackendFact]
    public async Task A_read_sees_every_change_committed_before_it_while_other_reads_run_all_the_time()
    {
        var importId = await client.CreateImportAsync(Citizens.Random(20, 5, seed: 31, app.Clock.Today));
        var other = await client.CreateImportAsync(Citizens.Random(20, 5, seed: 32, app.Clock.Today));
        using var stop = new CancellationTokenSource();
        // Readers that keep a statement running nearly all the time: a read that joined the one already running
        // would miss the change committed just before it.
        var readers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                Assert.NotNull(await Heads.ReadAsync(i % 2 == 0 ? importId : other, CancellationToken.None));
                reads++;
            }
            return reads;
        })).ToList();

        for (var version = 1; version <= 60; version++)
        {
            await BumpVersionAsync(importId); // as another replica's PATCH would, committed before the read below starts
            var head = await Heads.ReadAsync(importId, CancellationToken.None);
            Assert.Equal(version, head?.Version);
        }
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(readers), reads => Assert.True(reads > 0));
    }

    [BackendFact]
    public async Task Many_imports_asked_at_once_each_get_their_own_head_and_unknown_ones_none()
    {
        var extended = Citizens.Random(10, 2, seed: 33, app.Clock.Today);
        extended["citizens"]![0]!["channel"] = "search"; // the shape with friends and channels
        var withFriends = await client.CreateImportAsync(extended);
        var plain = await client.CreateImportAsync(Citizens.Random(10, 2, seed: 34, app.Clock.Today));
        await BumpVersionAsync(plain);
        // More distinct imports than one statement reads: the rest wait for the next.
        var unknown = Enumerable.Range(1, ImportVersions.MostPerStatement + 100).Select(i => 1_000_000_000L + i).ToList();

        var asked = unknown.Concat([withFriends, plain, withFriends, plain]).ToList();
        var heads = await Task.WhenAll(asked.Select(id => Heads.ReadAsync(id, CancellationToken.None)));

        var answers = asked.Zip(heads).ToList();
        Assert.All(answers.Where(a => a.First >= 1_000_000_000L), a => Assert.Null(a.Second));
        Assert.All(answers.Where(a => a.First == withFriends), a => Assert.Equal(new ImportHead(true, 0), a.Second));
        Assert.All(answers.Where(a => a.First == plain), a => Assert.Equal(new ImportHead(false, 1), a.Second));
    }

    [BackendFact]
    public async Task A_caller_that_stops_waiting_is_let_go_and_the_others_are_still_answered()
    {
        var importId = await client.CreateImportAsync(Citizens.Random(10, 2, seed: 35, app.Clock.Today));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var gaveUp = Heads.ReadAsync(importId, cancelled.Token);
        var waited = Heads.ReadAsync(importId, CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        Assert.Equal(new ImportHead(false, 0), await waited);
    }

    private async Task BumpVersionAsync(long importId)
    {
        var database = app.Services.GetRequiredService<Database>();
        await using var session = await database.BeginWriteAsync(null, CancellationToken.None);
        await using (var command = session.Command("UPDATE imports SET version = version + 1 WHERE import_id = @import_id"))
        {
            command.AddParameter("@import_id", importId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        await session.CommitAsync(CancellationToken.None);
    }
}
