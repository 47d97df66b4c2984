using System.Data.Common;
using System.Globalization;
using Analyzer.Events;
using Analyzer.Storage;

namespace Analyzer.Jobs;

/// <summary>A job to store: the request it replays and who sent it.</summary>
public sealed record NewJob(JobKind Kind, string Query, string? ContentType, string Subject, string? IdempotencyKey, string RequestHash);

/// <summary>
/// One state change of a job (see <see cref="JobStore.ChangeStateAsync"/>): from <see cref="From"/> (null: whatever
/// it is, or just created) to <see cref="To"/>, with what the new state records.
/// </summary>
public sealed record JobTransition(JobState? From, JobState To, DateTimeOffset Now)
{
    /// <summary>Running: the worker that takes the job and its lease.</summary>
    public string? Worker { get; init; }

    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>Only if this worker holds the job (a worker that lost its lease changes nothing).</summary>
    public string? ExpectedWorker { get; init; }

    /// <summary>Finished: the result or the error (JSON text) and the final progress.</summary>
    public string? Result { get; init; }

    public string? Error { get; init; }

    public long? Done { get; init; }

    public long? Total { get; init; }
}

public enum CancelOutcome { NotFound, Cancelled, Requested, AlreadyFinished }

/// <summary>
/// The jobs table and the bodies of their requests: the queue, claimed with <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL
/// (SQLite's writers take turns), leases renewed by heartbeats, cancel requests, and the purge of finished jobs.
/// </summary>
public sealed class JobStore(Database database)
{
    /// <summary>Bytes of a request body per row of job_bodies.</summary>
    public const int BodyPartBytes = 1024 * 1024;

    /// <summary>How long an Idempotency-Key names its job.</summary>
    public static readonly TimeSpan IdempotencyKeyLifetime = TimeSpan.FromHours(24);

    private const string Columns =
        "job_id, kind, state, query, content_type, attempts, cancel_requested, progress_done, progress_total, created_at, started_at, finished_at, result, error";

    private SqlDialect Dialect => database.Dialect;

    /// <summary>
    /// Stores a job and its request body (read from <paramref name="body"/> in parts) in one transaction, queued. With an
    /// Idempotency-Key that the caller used within 24 hours, nothing is stored: the earlier job is returned (Created false).
    /// </summary>
    public async Task<(Job Job, bool Created, string? RequestHash)> EnqueueAsync(NewJob job, Stream body, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        if (job.IdempotencyKey is { } key)
        {
            await using (var expire = session.Command(
                "UPDATE jobs SET idempotency_key = NULL WHERE subject = @subject AND idempotency_key = @key AND created_at < @cutoff"))
            {
                expire.AddParameter("@subject", job.Subject);
                expire.AddParameter("@key", key);
                expire.AddParameter("@cutoff", Dialect.ToParameter(now - IdempotencyKeyLifetime));
                await expire.ExecuteNonQueryAsync(cancellationToken);
            }
            if (await FindByKeyAsync(session, job.Subject, key, cancellationToken) is { } earlier)
            {
                return (earlier.Job, false, earlier.RequestHash);
            }
        }
        long? id;
        await using (var insert = session.Command(
            "INSERT INTO jobs (kind, state, query, content_type, subject, idempotency_key, request_hash, created_at)"
            + " VALUES (@kind, @state, @query, @content_type, @subject, @key, @hash, @now)"
            + " ON CONFLICT (subject, idempotency_key) DO NOTHING RETURNING job_id"))
        {
            insert.AddParameter("@kind", job.Kind.Name);
            insert.AddParameter("@state", JobState.Queued.ToName());
            insert.AddParameter("@query", job.Query);
            insert.AddParameter("@content_type", (object?)job.ContentType ?? DBNull.Value);
            insert.AddParameter("@subject", job.Subject);
            insert.AddParameter("@key", (object?)job.IdempotencyKey ?? DBNull.Value);
            insert.AddParameter("@hash", job.RequestHash);
            insert.AddParameter("@now", Dialect.ToParameter(now));
            id = await insert.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
        }
        if (id is null)
        {
            // Another request with the same key committed between the look-up and the insert (PostgreSQL; each statement
            // of a READ COMMITTED transaction sees what others committed before it).
            var winner = await FindByKeyAsync(session, job.Subject, job.IdempotencyKey!, cancellationToken)
                ?? throw new InvalidOperationException("an idempotency key conflicted with a job that cannot be found");
            return (winner.Job, false, winner.RequestHash);
        }
        await WriteBodyAsync(session, id.Value, body, cancellationToken);
        await ChangeStateAsync(session, id.Value, new JobTransition(null, JobState.Queued, now), cancellationToken);
        var queued = (await FindAsync(session, id.Value, lockRow: false, cancellationToken))!; // as queued: a worker may take it once committed
        await session.CommitAsync(cancellationToken);
        return (queued, true, job.RequestHash);
    }

    private static async Task WriteBodyAsync(DbSession session, long jobId, Stream body, CancellationToken cancellationToken)
    {
        await using var insert = session.Command("INSERT INTO job_bodies (job_id, part, content) VALUES (@job_id, @part, @content)");
        insert.AddParameter("@job_id", jobId);
        var part = insert.AddParameter("@part", 0);
        var content = insert.AddParameter("@content", Array.Empty<byte>());
        var buffer = new byte[BodyPartBytes];
        for (var index = 0; ; index++)
        {
            var filled = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (filled == 0)
            {
                return;
            }
            part.Value = index;
            content.Value = filled == buffer.Length ? buffer : buffer[..filled];
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Writes the job's request body to <paramref name="target"/>, part by part.</summary>
    public async Task CopyBodyAsync(long jobId, Stream target, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT content FROM job_bodies WHERE job_id = @job_id ORDER BY part");
        command.AddParameter("@job_id", jobId);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            await using var part = reader.GetStream(0);
            await part.CopyToAsync(target, cancellationToken);
        }
    }

    private static async Task<(Job Job, string RequestHash)?> FindByKeyAsync(DbSession session, string subject, string key, CancellationToken cancellationToken)
    {
        await using var command = session.Command($"SELECT {Columns}, request_hash FROM jobs WHERE subject = @subject AND idempotency_key = @key");
        command.AddParameter("@subject", subject);
        command.AddParameter("@key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (ReadJob(reader), reader.GetString(14)) : null;
    }

    public async Task<Job?> FindAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        return await FindAsync(session, jobId, lockRow: false, cancellationToken);
    }

    private async Task<Job?> FindAsync(DbSession session, long jobId, bool lockRow, CancellationToken cancellationToken)
    {
        await using var command = session.Command($"SELECT {Columns} FROM jobs WHERE job_id = @job_id" + (lockRow ? Dialect.ForUpdate : ""));
        command.AddParameter("@job_id", jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJob(reader) : null;
    }

    /// <summary>Jobs newest first, older than <paramref name="after"/> when given; one more than <paramref name="limit"/> tells whether a next page exists.</summary>
    public async Task<(IReadOnlyList<Job> Jobs, bool More)> ListAsync(JobState? state, string? kind, long? after, int limit, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        var conditions = new List<string>();
        await using var command = session.Command("");
        if (state is { } wanted)
        {
            conditions.Add("state = @state");
            command.AddParameter("@state", wanted.ToName());
        }
        if (kind is not null)
        {
            conditions.Add("kind = @kind");
            command.AddParameter("@kind", kind);
        }
        if (after is { } before)
        {
            conditions.Add("job_id < @after");
            command.AddParameter("@after", before);
        }
        command.AddParameter("@limit", limit + 1);
        command.CommandText = $"SELECT {Columns} FROM jobs"
            + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : "")
            + " ORDER BY job_id DESC LIMIT @limit";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var jobs = new List<Job>();
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(ReadJob(reader));
        }
        var more = jobs.Count > limit;
        return (more ? jobs[..limit] : jobs, more);
    }

    /// <summary>
    /// THE one place where a job's state changes, always inside the caller's transaction (<paramref name="session"/>):
    /// creation (queued), claim and takeover (running), cancel, success, failure, the requeue of an interrupted job.
    /// False when the job was not in <see cref="JobTransition.From"/> (or not held by <see cref="JobTransition.ExpectedWorker"/>).
    /// </summary>
    public async Task<bool> ChangeStateAsync(DbSession session, long jobId, JobTransition change, CancellationToken cancellationToken)
    {
        if (session.Transaction is null)
        {
            throw new ArgumentException("a job's state changes only inside a transaction", nameof(session));
        }
        await using var command = session.Command("");
        var set = new List<string> { "state = @to" };
        command.AddParameter("@to", change.To.ToName());
        command.AddParameter("@job_id", jobId);
        command.AddParameter("@now", Dialect.ToParameter(change.Now));
        switch (change.To)
        {
            case JobState.Running:
                set.AddRange(["attempts = attempts + 1", "worker = @worker", "lease_until = @lease", "started_at = @now", "progress_done = 0", "progress_total = NULL"]);
                command.AddParameter("@worker", change.Worker ?? throw new ArgumentException("a running job has a worker", nameof(change)));
                command.AddParameter("@lease", Dialect.ToParameter(change.LeaseUntil ?? throw new ArgumentException("a running job has a lease", nameof(change))));
                break;
            case JobState.Queued:
                set.AddRange(["worker = NULL", "lease_until = NULL"]);
                break;
            default:
                set.AddRange(["worker = NULL", "lease_until = NULL", "finished_at = @now"]);
                AddIfGiven(command, set, "result", change.Result);
                AddIfGiven(command, set, "error", change.Error);
                AddIfGiven(command, set, "progress_done", change.Done);
                AddIfGiven(command, set, "progress_total", change.Total);
                break;
        }
        var where = "job_id = @job_id";
        if (change.From is { } from)
        {
            where += " AND state = @from";
            command.AddParameter("@from", from.ToName());
        }
        if (change.ExpectedWorker is { } worker)
        {
            where += " AND worker = @expected_worker";
            command.AddParameter("@expected_worker", worker);
        }
        command.CommandText = $"UPDATE jobs SET {string.Join(", ", set)} WHERE {where} RETURNING kind";
        if (await command.ExecuteScalarAsync(cancellationToken) is not string kind)
        {
            return false;
        }
        // The change's event, in the change's own transaction (the outbox: Events/).
        await Outbox.AppendAsync(session, EventTypes.ForJobStateChanged(jobId, kind, change.From?.ToName(), change.To.ToName()), cancellationToken);
        return true;
    }

    private static void AddIfGiven(DbCommand command, List<string> set, string column, object? value)
    {
        if (value is not null)
        {
            set.Add($"{column} = @{column}");
            command.AddParameter("@" + column, value);
        }
    }

    /// <summary>
    /// Takes the oldest job that is queued, or running under a lease that ran out (its worker died; never one of
    /// <paramref name="worker"/>'s own), for <paramref name="worker"/>. On the way it cancels jobs whose cancel was
    /// requested and fails jobs that have used up their attempts. Null when there is nothing to do.
    /// </summary>
    public async Task<Job?> ClaimAsync(string worker, DateTimeOffset now, TimeSpan lease, int maxAttempts, CancellationToken cancellationToken)
    {
        if (!await AnyClaimableAsync(worker, now, cancellationToken))
        {
            return null; // without taking SQLite's write lock every second
        }
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        for (var looked = 0; looked < 16; looked++)
        {
            Job? candidate;
            await using (var command = ClaimableCommand(session, $"SELECT {Columns}", worker, now, Dialect.ForUpdateSkipLocked))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                candidate = await reader.ReadAsync(cancellationToken) ? ReadJob(reader) : null;
            }
            if (candidate is null)
            {
                await session.CommitAsync(cancellationToken);
                return null;
            }
            if (candidate.CancelRequested)
            {
                await ChangeStateAsync(session, candidate.Id, new JobTransition(candidate.State, JobState.Cancelled, now), cancellationToken);
            }
            else if (candidate.Attempts >= maxAttempts)
            {
                await ChangeStateAsync(session, candidate.Id, new JobTransition(candidate.State, JobState.Failed, now)
                {
                    Error = JobProblems.WorkerLost(candidate.Attempts),
                }, cancellationToken);
            }
            else
            {
                await ChangeStateAsync(session, candidate.Id,
                    new JobTransition(candidate.State, JobState.Running, now) { Worker = worker, LeaseUntil = now + lease }, cancellationToken);
                await session.CommitAsync(cancellationToken);
                return candidate with { State = JobState.Running, Attempts = candidate.Attempts + 1, StartedAt = now, ProgressDone = 0, ProgressTotal = null };
            }
        }
        await session.CommitAsync(cancellationToken);
        return null;
    }

    private async Task<bool> AnyClaimableAsync(string worker, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = ClaimableCommand(session, "SELECT job_id", worker, now, "");
        return await command.ExecuteScalarAsync(cancellationToken) is not (null or DBNull);
    }

    /// <summary>The oldest job that is queued or whose lease ran out, other than <paramref name="worker"/>'s own.</summary>
    private DbCommand ClaimableCommand(DbSession session, string select, string worker, DateTimeOffset now, string locking)
    {
        var command = session.Command(
            $"{select} FROM jobs WHERE state = @queued OR (state = @running AND lease_until < @now AND worker <> @worker) ORDER BY job_id LIMIT 1{locking}");
        command.AddParameter("@queued", JobState.Queued.ToName());
        command.AddParameter("@running", JobState.Running.ToName());
        command.AddParameter("@now", Dialect.ToParameter(now));
        command.AddParameter("@worker", worker);
        return command;
    }

    /// <summary>Renews the lease of a job <paramref name="worker"/> runs and records its progress: null when the job is no longer the worker's, else whether its cancel was requested.</summary>
    public async Task<bool?> HeartbeatAsync(long jobId, string worker, long done, long? total, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command(
            "UPDATE jobs SET progress_done = @done, progress_total = @total, lease_until = @lease"
            + " WHERE job_id = @job_id AND state = @running AND worker = @worker RETURNING cancel_requested");
        command.AddParameter("@done", done);
        command.AddParameter("@total", (object?)total ?? DBNull.Value);
        command.AddParameter("@lease", Dialect.ToParameter(leaseUntil));
        command.AddParameter("@job_id", jobId);
        command.AddParameter("@running", JobState.Running.ToName());
        command.AddParameter("@worker", worker);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetBoolean(0) : null;
    }

    /// <summary>Cancels a queued job at once; asks the worker of a running one to stop (it rolls back at its next checkpoint).</summary>
    public async Task<(CancelOutcome Outcome, Job? Job)> CancelAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        var job = await FindAsync(session, jobId, lockRow: true, cancellationToken);
        CancelOutcome outcome;
        switch (job?.State)
        {
            case null:
                return (CancelOutcome.NotFound, null);
            case JobState.Queued:
                await ChangeStateAsync(session, jobId, new JobTransition(JobState.Queued, JobState.Cancelled, now), cancellationToken);
                outcome = CancelOutcome.Cancelled;
                break;
            case JobState.Running:
                await using (var request = session.Command("UPDATE jobs SET cancel_requested = @yes WHERE job_id = @job_id"))
                {
                    request.AddParameter("@yes", Dialect.ToParameter(true));
                    request.AddParameter("@job_id", jobId);
                    await request.ExecuteNonQueryAsync(cancellationToken);
                }
                outcome = CancelOutcome.Requested;
                break;
            default:
                return (CancelOutcome.AlreadyFinished, job);
        }
        job = await FindAsync(session, jobId, lockRow: false, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return (outcome, job);
    }

    /// <summary>Whether a cancel of the job was requested (a worker's last look before it records an interrupted job).</summary>
    public async Task<bool> CancelRequestedAsync(long jobId, CancellationToken cancellationToken) =>
        (await FindAsync(jobId, cancellationToken))?.CancelRequested ?? false;

    /// <summary>Changes a job's state in a transaction of its own (see <see cref="ChangeStateAsync"/>).</summary>
    public async Task<bool> CommitStateChangeAsync(long jobId, JobTransition change, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        var changed = await ChangeStateAsync(session, jobId, change, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>Deletes jobs finished before <paramref name="finishedBefore"/> with their bodies, and forgets idempotency keys used before <paramref name="keysBefore"/>.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset finishedBefore, DateTimeOffset keysBefore, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using (var bodies = session.Command(
            "DELETE FROM job_bodies WHERE job_id IN (SELECT job_id FROM jobs WHERE finished_at < @cutoff)"))
        {
            bodies.AddParameter("@cutoff", Dialect.ToParameter(finishedBefore));
            await bodies.ExecuteNonQueryAsync(cancellationToken);
        }
        int purged;
        await using (var jobs = session.Command("DELETE FROM jobs WHERE finished_at < @cutoff"))
        {
            jobs.AddParameter("@cutoff", Dialect.ToParameter(finishedBefore));
            purged = await jobs.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var keys = session.Command("UPDATE jobs SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND created_at < @cutoff"))
        {
            keys.AddParameter("@cutoff", Dialect.ToParameter(keysBefore));
            await keys.ExecuteNonQueryAsync(cancellationToken);
        }
        await session.CommitAsync(cancellationToken);
        return purged;
    }

    /// <summary>How many jobs are in each state now (states without jobs are absent): the gauge <c>analyzer_jobs</c>.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT state, count(*) FROM jobs GROUP BY state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        }
        return counts;
    }

    /// <summary>How many rows of job_bodies the job has (tests: a purged job leaves none).</summary>
    public async Task<long> BodyPartsAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT count(*) FROM job_bodies WHERE job_id = @job_id");
        command.AddParameter("@job_id", jobId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static Job ReadJob(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        JobStates.Parse(reader.GetString(2)) ?? throw new InvalidDataException($"job state {reader.GetString(2)}"),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture),
        reader.GetBoolean(6),
        Convert.ToInt64(reader.GetValue(7), CultureInfo.InvariantCulture),
        reader.IsDBNull(8) ? null : Convert.ToInt64(reader.GetValue(8), CultureInfo.InvariantCulture),
        ReadTime(reader.GetValue(9))!.Value,
        ReadTime(reader.GetValue(10)),
        ReadTime(reader.GetValue(11)),
        reader.IsDBNull(12) ? null : reader.GetString(12),
        reader.IsDBNull(13) ? null : reader.GetString(13));

    /// <summary>A timestamptz on PostgreSQL, ISO 8601 text in UTC on SQLite.</summary>
    private static DateTimeOffset? ReadTime(object value) => value switch
    {
        DBNull => null,
        DateTime time => new DateTimeOffset(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset offset => offset.ToUniversalTime(),
        string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new InvalidCastException($"a job's time is a {value.GetType().Name}"),
    };
}
