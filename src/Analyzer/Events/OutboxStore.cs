using System.Globalization;
using Analyzer.Storage;

namespace Analyzer.Events;

/// <summary>How far the Kafka relay is behind: events not published yet and the age of the oldest.</summary>
public sealed record OutboxLag(long Unpublished, TimeSpan OldestAge);

/// <summary>Reads the outbox (in id order, which is commit order: see <see cref="Outbox"/>) and marks events published.</summary>
public sealed class OutboxStore(Database database, TimeProvider time)
{
    private const string Columns = "id, type, subject, entity_key, data, occurred_at";

    /// <summary>Up to <paramref name="limit"/> events with ids above <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command($"SELECT {Columns} FROM outbox_events WHERE id > @after ORDER BY id LIMIT @limit");
        command.AddParameter("@after", after);
        command.AddParameter("@limit", limit);
        return await ReadAsync(command, cancellationToken);
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
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
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
}
