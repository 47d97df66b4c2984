using System.Data.Common;

namespace Analyzer.Storage;

/// <summary>
/// The service's one database, registered once: it opens connections, begins transactions the same way for
/// every feature, and bulk-loads rows. What differs between the back ends in SQL text lives in
/// <see cref="Dialect"/>; what differs in behaviour (locks, bulk loads, connections) in the two subclasses,
/// <see cref="PostgresDatabase"/> (production) and <see cref="SqliteDatabase"/> (the embedded default).
/// Features depend on this class, never on each other's stores.
/// </summary>
public abstract class Database : IAsyncDisposable
{
    public abstract SqlDialect Dialect { get; }

    /// <summary>
    /// Whether a write transaction excludes every other writer of the whole database (SQLite): then a long load's
    /// side work (a job's progress and lease) cannot be written while the load runs, and stays in the process.
    /// </summary>
    public virtual bool OneWriterAtATime => false;
    private int openSessions;

    /// <summary>Sessions begun and not yet disposed: the connections in use (the gauge analyzer.db.sessions.open of /metrics).</summary>
    public int OpenSessions => Volatile.Read(ref openSessions);

    /// <summary>
    /// The service's clock (the host's <see cref="TimeProvider"/>, set where the database is registered), handed to every
    /// session for the times it stamps on what it writes (an event's <c>occurred_at</c>), so that tests can move it.
    /// </summary>
    public TimeProvider Clock { get; internal set; } = TimeProvider.System;

    private DbSession Session(DbConnection connection, DbTransaction? transaction)
    {
        Interlocked.Increment(ref openSessions);
        return new DbSession(connection, transaction, Clock, () => Interlocked.Decrement(ref openSessions));
    }

    /// <summary>A new open connection; features get theirs through a <see cref="DbSession"/>.</summary>
    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A connection without a transaction: each statement sees the latest committed data.</summary>
    public async Task<DbSession> ConnectAsync(CancellationToken cancellationToken) =>
        Session(await OpenConnectionAsync(cancellationToken), null);

    /// <summary>
    /// A read-only transaction that sees one consistent state: on SQLite a snapshot; on PostgreSQL the
    /// <paramref name="resource"/>'s advisory lock (take it shared, so that readers do not wait for each other).
    /// </summary>
    public Task<DbSession> BeginReadAsync(ResourceLock? resource, CancellationToken cancellationToken) =>
        BeginAsync(write: false, resource, cancellationToken);

    /// <summary>
    /// A write transaction: SQLite's database write lock at once (<c>BEGIN IMMEDIATE</c>, so a reader never has
    /// to upgrade and fail with "busy"); on PostgreSQL the <paramref name="resource"/>'s advisory lock when given.
    /// Locks are released when the transaction ends.
    /// </summary>
    public Task<DbSession> BeginWriteAsync(ResourceLock? resource, CancellationToken cancellationToken) =>
        BeginAsync(write: true, resource, cancellationToken);

    private async Task<DbSession> BeginAsync(bool write, ResourceLock? resource, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken);
        DbSession? session = null;
        try
        {
            var transaction = await BeginTransactionAsync(connection, write, cancellationToken);
            session = Session(connection, transaction);
            if (resource is { } lockOf)
            {
                await LockAsync(session, lockOf, cancellationToken);
            }
            return session;
        }
        catch
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
            else
            {
                await connection.DisposeAsync();
            }
            throw;
        }
    }

    protected abstract Task<DbTransaction> BeginTransactionAsync(DbConnection connection, bool write, CancellationToken cancellationToken);

    /// <summary>Takes the lock of <paramref name="resource"/> until the session's transaction ends (nothing to do where the transaction is the lock).</summary>
    protected abstract Task LockAsync(DbSession session, ResourceLock resource, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts <paramref name="rows"/> into <paramref name="table"/> (an SQL name, quoted as needed) inside the
    /// session's transaction, each row written field by field in the order of <paramref name="columns"/> by
    /// <paramref name="writeRow"/>. PostgreSQL: binary COPY; SQLite: one prepared INSERT per row. Returns the count.
    /// </summary>
    public abstract Task<long> BulkInsertAsync<T>(
        DbSession session, string table, IReadOnlyList<string> columns, IEnumerable<T> rows, Action<T, IRowWriter> writeRow,
        CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>A connection and, when one was begun, its transaction; disposing ends both (an uncommitted transaction rolls back).</summary>
public sealed class DbSession(DbConnection connection, DbTransaction? transaction, TimeProvider clock, Action ended) : IAsyncDisposable
{
    private int disposed;

    public DbConnection Connection { get; } = connection;

    /// <summary>The service's clock (<see cref="Database.Clock"/>).</summary>
    public TimeProvider Clock { get; } = clock;

    public DbTransaction? Transaction { get; } = transaction;

    /// <summary>A command in this session's transaction; parameters are named <c>@name</c> on both back ends.</summary>
    public DbCommand Command(string sql) => Connection.CreateCommand(Transaction, sql);

    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(sql);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private List<Action>? afterCommit;

    /// <summary>Runs <paramref name="action"/> once this session's transaction has committed (never when it rolls back).</summary>
    public void AfterCommit(Action action) => (afterCommit ??= []).Add(action);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (Transaction is not null)
        {
            await Transaction.CommitAsync(cancellationToken);
        }
        foreach (var action in afterCommit ?? [])
        {
            action();
        }
        afterCommit = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        try
        {
            if (Transaction is not null)
            {
                await Transaction.DisposeAsync();
            }
            await Connection.DisposeAsync();
        }
        finally
        {
            ended();
        }
    }
}

/// <summary>
/// The thing a transaction locks against other writers (on PostgreSQL an advisory lock; on SQLite the write
/// transaction itself serialises every writer): an import (one-key locks by id), a dataset (two-key locks on
/// a hash of its name, apart from the imports' keys) or the schema's migrations.
/// </summary>
public readonly record struct ResourceLock
{
    /// <summary>"DATA" in ASCII: the first key of the datasets' two-key locks.</summary>
    internal const int DatasetSpace = 1145132097;

    /// <summary>"analyzer" in ASCII, far above any import id.</summary>
    internal const long MigrationsKey = 0x616E616C797A6572;

    private ResourceLock(long? key, string? name, bool shared) => (Key, Name, Shared) = (key, name, shared);

    /// <summary>The one-key lock's key, when this is not a dataset's lock.</summary>
    internal long? Key { get; }

    /// <summary>The dataset's name, when this is a dataset's lock.</summary>
    internal string? Name { get; }

    /// <summary>Shared locks exclude only exclusive ones (readers of a dataset against its replacement).</summary>
    public bool Shared { get; }

    public static ResourceLock Import(long importId) => new(importId, null, false);

    public static ResourceLock Dataset(string name) => new(null, name, false);

    public static ResourceLock Migrations { get; } = new(MigrationsKey, null, false);

    public ResourceLock AsShared() => new(Key, Name, true);
}

/// <summary>Receives a bulk-loaded row's fields in column order (see <see cref="Database.BulkInsertAsync{T}"/>).</summary>
public interface IRowWriter
{
    void WriteNull();
    void WriteInt64(long value);
    void WriteInt32(int value);
    void WriteDouble(double value);
    void WriteBoolean(bool value);
    void WriteDate(DateOnly value);
    void WriteTimestamp(DateTimeOffset value);
    void WriteText(string value);

    /// <summary>A list of ids as one value (PostgreSQL <c>integer[]</c>, SQLite a JSON array: <see cref="SqlDialect.IdListValue"/>).</summary>
    void WriteIdList(IReadOnlyList<int> ids);
}

public static class RowWriterExtensions
{
    /// <summary>Writes a value of one of the types the storage knows (null, long, int, double, bool, DateOnly, DateTimeOffset, string).</summary>
    public static void WriteValue(this IRowWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull();
                break;
            case long integer:
                writer.WriteInt64(integer);
                break;
            case int small:
                writer.WriteInt32(small);
                break;
            case double number:
                writer.WriteDouble(number);
                break;
            case bool flag:
                writer.WriteBoolean(flag);
                break;
            case DateOnly date:
                writer.WriteDate(date);
                break;
            case DateTimeOffset timestamp:
                writer.WriteTimestamp(timestamp);
                break;
            case string text:
                writer.WriteText(text);
                break;
            default:
                throw new ArgumentException($"a {value.GetType().Name} cannot be stored", nameof(value));
        }
    }
}
