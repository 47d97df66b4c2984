using System.Globalization;
using Analyzer.Storage;

namespace Analyzer.Events;

/// <summary>How far the Kafka relay is behind: events not published yet and the age of the oldest.</summary>
public sealed record OutboxLag(long Unpublished, TimeSpan OldestAge);

/// <summary>A page of the outbox and its horizon: every event with an id up to <paramref name="PurgedThrough"/> has been purged.</summary>
public sealed record OutboxPage(IReadOnlyList<StoredEvent> Events, long PurgedThrough);

/// <summary>Reads the outbox (in id order, which is commit order: see <see cref="Outbox"/>) and marks events published.</summary>
public sealed class OutboxStore(Database database, TimeProvider time)
{
    private const string Columns = "id, type, subject, entity_key, data, occurred_at";

    /// <summary>
    /// Up to <paramref name="limit"/> events with ids above <paramref name="after"/>, oldest first, and how far the outbox
    /// has been purged (<see cref="OutboxPage.PurgedThrough"/>). One round trip; the events are read before the horizon,
    /// so that a purge between the two reads makes the horizon look further, never the page complete when it is not.
    /// </summary>
    public async Task<OutboxPage> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(
            $"SELECT {Columns} FROM outbox_events WHERE id > @after ORDER BY id LIMIT @limit; SELECT purged_through FROM outbox_horizon");
        command.AddParameter("@after", after);
        command.AddParameter("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = await ReadEventsAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new OutboxPage(events, Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture));
    }

    /// <summary>Up to <paramref name="limit"/> events not yet published, oldest first.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadUnpublishedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command($"SELECT {Columns} FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT @limit");
        command.AddParameter("@limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredEvent>> ReadAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadEventsAsync(reader, cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(System.Data.Common.DbDataReader reader, CancellationToken cancellationToken)
    {
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }
        return events;
    }

    /// <summary>
    /// Marks the events from <paramref name="first"/> to <paramref name="last"/> published (the broker acknowledged them):
    /// a batch of <see cref="ReadUnpublishedAsync"/> is every unpublished id of its range, since ids commit in order.
    /// </summary>
    public async Task MarkPublishedAsync(long first, long last, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using var command = session.Command("UPDATE outbox_events SET published_at = @now WHERE id >= @first AND id <= @last AND published_at IS NULL");
        command.AddParameter("@first", first);
        command.AddParameter("@last", last);
        command.AddParameter("@now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    /// <summary>The relay's lag: how many events wait and how old the oldest is.</summary>
    public async Task<OutboxLag> LagAsync(CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT count(*), min(occurred_at) FROM outbox_events WHERE published_at IS NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
        var oldest = reader.IsDBNull(1) ? (long?)null : Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        var age = oldest is { } ms ? time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms) : TimeSpan.Zero;
        return new OutboxLag(count, age < TimeSpan.Zero ? TimeSpan.Zero : age);
    }

    /// <summary>Events deleted per transaction of a purge (SQLite's writers wait for each).</summary>
    private const int PurgeChunk = 10_000;

    /// <summary>
    /// Deletes the oldest events up to the first one that must stay — unpublished or published at or after
    /// <paramref name="cutoff"/> when <paramref name="relayed"/>, else occurred at or after it — and moves the horizon
    /// (<c>outbox_horizon</c>) to the last id deleted, in chunks of <see cref="PurgeChunk"/>. Only a prefix of ids goes,
    /// so that "everything up to the horizon is gone" stays true. Returns how many events went.
    /// </summary>
    public async Task<int> PurgeAsync(DateTimeOffset cutoff, bool relayed, CancellationToken cancellationToken)
    {
        var purged = 0;
        if (await FirstKeptAsync(cutoff.ToUnixTimeMilliseconds(), relayed, cancellationToken) is not { } firstKept)
        {
            return purged; // the outbox is empty
        }
        while (true)
        {
            await using var session = await database.BeginWriteAsync(null, cancellationToken);
            long upper;
            await using (var chunk = session.Command("SELECT max(id) FROM (SELECT id FROM outbox_events WHERE id < @below ORDER BY id LIMIT @chunk) AS chunk"))
            {
                chunk.AddParameter("@below", firstKept);
                chunk.AddParameter("@chunk", PurgeChunk);
                if (await chunk.ExecuteScalarAsync(cancellationToken) is not { } value || value is DBNull)
                {
                    return purged;
                }
                upper = Convert.ToInt64(value, CultureInfo.InvariantCulture);
            }
            await using (var delete = session.Command("DELETE FROM outbox_events WHERE id <= @upper"))
            {
                delete.AddParameter("@upper", upper);
                purged += await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var horizon = session.Command("UPDATE outbox_horizon SET purged_through = @upper WHERE purged_through < @upper"))
            {
                horizon.AddParameter("@upper", upper);
                await horizon.ExecuteNonQueryAsync(cancellationToken);
            }
            await session.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The id of the first event a purge at <paramref name="cutoffMs"/> keeps (one past the last event when none stays;
    /// null for an empty outbox). Found by the primary key in id order, so it reads only the rows that go and one more.
    /// Ids commit in order (see <see cref="Outbox"/>), so no event below it can still appear.
    /// </summary>
    private async Task<long?> FirstKeptAsync(long cutoffMs, bool relayed, CancellationToken cancellationToken)
    {
        var keep = relayed ? "published_at IS NULL OR published_at >= @cutoff" : "occurred_at >= @cutoff";
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(
            $"SELECT COALESCE((SELECT id FROM outbox_events WHERE {keep} ORDER BY id LIMIT 1), (SELECT max(id) FROM outbox_events) + 1)");
        command.AddParameter("@cutoff", cutoffMs);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }
}
