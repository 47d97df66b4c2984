using Analyzer.Events;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Events;

/// <summary>
/// The relay's session-level lock on PostgreSQL, whose pooled connections are not reset on reuse (DatabaseUrl: No Reset
/// On Close): a released lock must be free for another replica, even though its connection goes back to the pool.
/// </summary>
public sealed class RelayLeadershipTests : IPostgresTests
{
    [BackendFact]
    public async Task A_released_leadership_passes_to_another_replica_and_the_pooled_connection_keeps_no_lock()
    {
        var url = await (await PostgresCluster.Instance).CreateDatabaseAsync();
        await using var first = StorageServices.Open(url);
        await using var second = StorageServices.Open(url);
        await using var one = new RelayLeadership(first);
        await using var other = new RelayLeadership(second);

        Assert.True(await one.TryAcquireAsync(CancellationToken.None));
        Assert.False(await other.TryAcquireAsync(CancellationToken.None));

        await one.ReleaseAsync();
        Assert.True(await other.TryAcquireAsync(CancellationToken.None));
        await other.ReleaseAsync();

        // Every connection the first database pooled is free of the lock (pg_locks shows the whole cluster: other tests' databases relay too): taking it again from the same pool works, and
        // so does the second database while the first holds nothing.
        Assert.True(await one.TryAcquireAsync(CancellationToken.None));
        await one.ReleaseAsync();
        await using var session = await first.ConnectAsync(CancellationToken.None);
        await using var locks = session.Command("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            + $" AND objid = {RelayLeadership.LockKey & 0xFFFFFFFF}");
        Assert.Equal(0L, Convert.ToInt64(await locks.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
