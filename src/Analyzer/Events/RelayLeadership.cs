using Analyzer.Storage;

namespace Analyzer.Events;

/// <summary>
/// Makes one relay publish at a time. PostgreSQL: a session-level advisory lock held on a connection of its own for
/// as long as this process relays; when the process dies its connection closes, the server releases the lock and
/// another replica's next try takes it over. SQLite serves one process, which is always the leader.
/// </summary>
public sealed class RelayLeadership(Database database) : IAsyncDisposable
{
    /// <summary>"relay" in ASCII, apart from the outbox's and the imports' keys.</summary>
    internal const long LockKey = 0x72656C6179;

    private DbSession? held;

    /// <summary>Tries once to become the leader; true when this process is (or already was).</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (database is not PostgresDatabase)
        {
            return true;
        }
        if (held is not null)
        {
            return true;
        }
        var session = await database.ConnectAsync(cancellationToken);
        try
        {
            await using var command = session.Command($"SELECT pg_try_advisory_lock({LockKey})");
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                held = session;
                return true;
            }
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
        await session.DisposeAsync();
        return false;
    }

    /// <summary>Whether the lock is still held (its connection still answers); false after a lost connection.</summary>
    public async Task<bool> StillHeldAsync(CancellationToken cancellationToken)
    {
        if (database is not PostgresDatabase)
        {
            return true;
        }
        if (held is null)
        {
            return false;
        }
        try
        {
            await using var command = held.Command("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            await ReleaseAsync();
            return false;
        }
    }

    public async Task ReleaseAsync()
    {
        if (held is { } session)
        {
            held = null;
            try
            {
                // Pooled connections are not reset (DatabaseUrl: No Reset On Close), so the lock is released here; a
                // connection that is already lost released it with its server session.
                await using var unlock = session.Command($"SELECT pg_advisory_unlock({LockKey})");
                await unlock.ExecuteScalarAsync();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                // lost with its connection: nothing is held any more
            }
            finally
            {
                await session.DisposeAsync();
            }
        }
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
