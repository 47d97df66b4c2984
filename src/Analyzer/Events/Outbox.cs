using System.Data.Common;
using Analyzer.Storage;
using Npgsql;

namespace Analyzer.Events;

/// <summary>
/// Writes events into the transactional outbox (table <c>outbox_events</c>, migration 0011) inside the caller's own
/// transaction: the event exists exactly when the change does. Any feature calls <see cref="AppendAsync(DbSession, EventDraft, CancellationToken)"/>
/// right before it commits.
/// </summary>
/// <remarks>
/// On PostgreSQL the insert first takes the outbox's transaction-level advisory lock, held until commit: ids come
/// from a sequence, and without the lock a transaction that drew id 10 could commit after one that drew 11, so a
/// reader that saw 11 and moved on would never see 10. With it, ids become visible in order, which the feed's and the
/// relay's keyset reads rely on. The lock is taken last in every writing transaction (after its own locks), so it adds
/// no cycle; SQLite's single writer gives the same order by itself.
/// </remarks>
public static class Outbox
{
    /// <summary>The key of the outbox's advisory lock: "outbox" in ASCII (the imports' keys are ids, far below).</summary>
    internal const long LockKey = 0x6F7574626F78;

    /// <summary>
    /// Appends <paramref name="draft"/> in the session's transaction, stamped with the service's clock; readers waiting on
    /// the feed are woken once it commits. Returns the event's id.
    /// </summary>
    public static async Task<long> AppendAsync(DbSession session, EventDraft draft, CancellationToken cancellationToken)
    {
        var sql = new System.Text.StringBuilder();
        await using var command = session.Command("");
        AppendTo(session, command, sql, draft);
        command.CommandText = sql.Append(" RETURNING id").ToString();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (session.Connection is NpgsqlConnection)
        {
            await reader.NextResultAsync(cancellationToken);
        }
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt64(0);
    }

    /// <summary>
    /// Adds the event's insert to <paramref name="command"/>, a command of <paramref name="session"/> that the caller
    /// is building and runs itself: the event travels in the same round trip as the change (a PATCH's or a POST's
    /// last write). The parameters are named <c>@outbox_*</c>; <paramref name="sql"/> is empty or ends with a complete
    /// statement, and ends with the insert afterwards.
    /// </summary>
    public static void AppendTo(DbSession session, DbCommand command, System.Text.StringBuilder sql, EventDraft draft)
    {
        var separator = sql.Length > 0 ? "; " : "";
        if (command.Connection is NpgsqlConnection)
        {
            sql.Append($"{separator}SELECT pg_advisory_xact_lock({LockKey})");
            separator = "; ";
        }
        sql.Append(separator + "INSERT INTO outbox_events (type, subject, entity_key, data, occurred_at)"
            + " VALUES (@outbox_type, @outbox_subject, @outbox_entity_key, @outbox_data, @outbox_occurred_at)");
        command.AddParameter("@outbox_type", draft.Type);
        command.AddParameter("@outbox_subject", draft.Subject);
        command.AddParameter("@outbox_entity_key", draft.Key);
        command.AddParameter("@outbox_data", draft.Data);
        command.AddParameter("@outbox_occurred_at", session.Clock.GetUtcNow().ToUnixTimeMilliseconds());
        session.AfterCommit(OutboxSignal.Notify);
    }
}

/// <summary>
/// Tells this process's waiters (long-polls of <c>GET /events</c>, the Kafka relay) that events were committed.
/// Other replicas' events are found by the waiters' short polls.
/// </summary>
public static class OutboxSignal
{
    private static TaskCompletionSource next = NewSource();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next <see cref="Notify"/>.</summary>
    public static Task Next => Volatile.Read(ref next).Task;

    public static void Notify() => Interlocked.Exchange(ref next, NewSource()).TrySetResult();
}
