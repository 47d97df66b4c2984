using System.Globalization;
using System.Text;
using Analyzer.Storage;

namespace Analyzer.Imports;

/// <summary>What every read of an import starts from: whether its citizens have friends and channels, and its version (each PATCH adds one).</summary>
public readonly record struct ImportHead(bool HasFriendsAndChannels, long Version);

/// <summary>
/// Reads imports' heads for GET citizens and the analyses, one statement for all the requests waiting at a time. A
/// request waits for the next statement that starts after it arrived, never for one already running, so it sees every
/// change committed before it arrived (on any replica) exactly as its own statement would. Under load many requests
/// share one round trip: `wrk -c64` on a cached birthdays answer went from 6,164–6,550 to 12,696–14,677 requests/s on
/// PostgreSQL (docs/benchmarks.md). With one request at a time it is one statement each, as before.
/// </summary>
/// <remarks>Hand-written: no library batches reads with this guarantee (Npgsql's batching is per connection and caller).</remarks>
public sealed class ImportVersions(Database database)
{
    /// <summary>At most this many imports in one statement; more wait for the next (which also starts after they arrived).</summary>
    internal const int MostPerStatement = 500;

    private readonly object gate = new();
    private Dictionary<long, TaskCompletionSource<ImportHead?>> waiting = [];
    private bool reading;

    /// <summary>The import's head as committed when this call was made, or later; null when there is no such import.</summary>
    public Task<ImportHead?> ReadAsync(long importId, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<ImportHead?>(cancellationToken);
        }
        TaskCompletionSource<ImportHead?>? answer;
        bool start;
        lock (gate)
        {
            if (!waiting.TryGetValue(importId, out answer))
            {
                answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting.Add(importId, answer);
            }
            start = !reading;
            reading = true;
        }
        if (start)
        {
            // On a thread of its own: SQLite's statements complete synchronously, and the caller's request must not
            // wait while the loop serves those that arrive after it.
            _ = Task.Run(ReadWhileWaitingAsync, CancellationToken.None);
        }
        return answer.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Runs statements until nobody waits; only one runs at a time.</summary>
    private async Task ReadWhileWaitingAsync()
    {
        while (true)
        {
            Dictionary<long, TaskCompletionSource<ImportHead?>> batch;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    reading = false;
                    return;
                }
                batch = Take();
            }
            try
            {
                var heads = await ReadHeadsAsync(batch.Keys);
                foreach (var (importId, answer) in batch)
                {
                    answer.TrySetResult(heads.TryGetValue(importId, out var head) ? head : null);
                }
            }
#pragma warning disable CA1031 // every waiter gets the failure (e.g. the database unreachable: 503), none is left waiting
            catch (Exception failure)
#pragma warning restore CA1031
            {
                foreach (var answer in batch.Values)
                {
                    answer.TrySetException(failure);
                }
            }
        }
    }

    /// <summary>The waiting requests (at most <see cref="MostPerStatement"/> imports); the rest stay for the next statement.</summary>
    private Dictionary<long, TaskCompletionSource<ImportHead?>> Take()
    {
        if (waiting.Count <= MostPerStatement)
        {
            var all = waiting;
            waiting = [];
            return all;
        }
        var some = waiting.Take(MostPerStatement).ToDictionary();
        foreach (var importId in some.Keys)
        {
            waiting.Remove(importId);
        }
        return some;
    }

    private async Task<Dictionary<long, ImportHead>> ReadHeadsAsync(IEnumerable<long> importIds)
    {
        // The ids are numbers parsed from the path, written into the statement: one statement text for any count.
        var sql = new StringBuilder("SELECT import_id, has_friends_and_channels, version FROM imports WHERE import_id IN (");
        sql.AppendJoin(',', importIds.Select(id => id.ToString(CultureInfo.InvariantCulture))).Append(')');
        await using var session = await database.ConnectAsync(CancellationToken.None);
        await using var command = session.Command(sql.ToString());
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        var heads = new Dictionary<long, ImportHead>();
        while (await reader.ReadAsync(CancellationToken.None))
        {
            heads[reader.GetInt64(0)] = new ImportHead(reader.GetBoolean(1), reader.GetInt64(2));
        }
        return heads;
    }
}
