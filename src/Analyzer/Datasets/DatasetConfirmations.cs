using System.Text.Json;
using Analyzer.Imports;
using Analyzer.Storage;

namespace Analyzer.Datasets;

public enum ConfirmStatus { Applied, Unknown, AlreadyUsed, RowGone }

public sealed record ConfirmOutcome(ConfirmStatus Status, Dataset? Dataset = null, ChangeAction Action = ChangeAction.Create, DatasetRow? Row = null);

/// <summary>
/// Changes requested through a link (table <c>dataset_pending_changes</c>, only a SHA-256 hash of each token
/// stored) and applied once when the link is followed, under the dataset's lock like every row write.
/// </summary>
public sealed class DatasetConfirmations(Database database, DatasetRows rows, TimeProvider time) : IPurge
{
    public string What => "expired confirmation links";

    /// <summary>Stores a validated change, in the transaction that read the dataset, to apply when the link with <paramref name="tokenHash"/> is followed.</summary>
    public async Task AddPendingAsync(RowsTransaction transaction, byte[] tokenHash, ChangeAction action, long? rowId,
        IReadOnlyDictionary<string, object?> values, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var command = transaction.Session.Command(
            "INSERT INTO dataset_pending_changes (token_hash, dataset, action, row_id, changes, created_at, expires_at)"
            + $" VALUES (@token_hash, @dataset, @action, @row_id, {database.Dialect.Json("@changes")}, @created_at, @expires_at)");
        command.AddParameter("@token_hash", tokenHash);
        command.AddParameter("@dataset", transaction.Dataset!.Name);
        command.AddParameter("@action", action.ToName());
        command.AddParameter("@row_id", (object?)rowId ?? DBNull.Value);
        command.AddParameter("@changes", ChangesJson(values));
        command.AddParameter("@created_at", database.Dialect.ToParameter(time.GetUtcNow()));
        command.AddParameter("@expires_at", database.Dialect.ToParameter(expiresAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Applies the change of a link once, in one transaction with marking it used. The dataset's lock is
    /// taken before the pending change is locked, in the order every upload and drop takes them.
    /// </summary>
    public async Task<ConfirmOutcome> ConfirmAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        if (await DatasetOfAsync(tokenHash, cancellationToken) is not { } name)
        {
            return new ConfirmOutcome(ConfirmStatus.Unknown);
        }
        await using var transaction = await rows.BeginWriteAsync(name, cancellationToken);
        ChangeAction action;
        string changes;
        long? rowId;
        await using (var command = transaction.Session.Command(
            "SELECT action, row_id, changes, expires_at, applied_at FROM dataset_pending_changes WHERE token_hash = @token_hash AND dataset = @dataset"
            + database.Dialect.ForUpdate))
        {
            command.AddParameter("@token_hash", tokenHash);
            command.AddParameter("@dataset", name);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                // Gone since it was looked up: its dataset was replaced or dropped.
                return new ConfirmOutcome(ConfirmStatus.RowGone);
            }
            if (RowValues.ReadTimestamp(reader, 3) <= time.GetUtcNow())
            {
                return new ConfirmOutcome(ConfirmStatus.Unknown);
            }
            if (!reader.IsDBNull(4))
            {
                return new ConfirmOutcome(ConfirmStatus.AlreadyUsed);
            }
            (action, rowId, changes) = (ChangeActions.Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2));
        }
        if (transaction.Dataset is not { } dataset)
        {
            return new ConfirmOutcome(ConfirmStatus.RowGone);
        }
        var errors = new ValidationErrors();
        using var document = JsonDocument.Parse(changes);
        var values = RowValues.FromJson(dataset, document.RootElement, action == ChangeAction.Create ? Required.EveryNotNullColumn : Required.AnyColumn, errors);
        if (!errors.IsEmpty)
        {
            return new ConfirmOutcome(ConfirmStatus.RowGone);
        }
        var row = action == ChangeAction.Create
            ? await transaction.InsertAsync(values, cancellationToken)
            : await transaction.UpdateAsync(rowId!.Value, values, cancellationToken);
        if (row is null)
        {
            return new ConfirmOutcome(ConfirmStatus.RowGone);
        }
        await using (var used = transaction.Session.Command("UPDATE dataset_pending_changes SET applied_at = @now WHERE token_hash = @token_hash"))
        {
            used.AddParameter("@now", database.Dialect.ToParameter(time.GetUtcNow()));
            used.AddParameter("@token_hash", tokenHash);
            await used.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new ConfirmOutcome(ConfirmStatus.Applied, dataset, action, row);
    }

    private async Task<string?> DatasetOfAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT dataset FROM dataset_pending_changes WHERE token_hash = @token_hash");
        command.AddParameter("@token_hash", tokenHash);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Removes links that expired before <paramref name="now"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using var command = session.Command("DELETE FROM dataset_pending_changes WHERE expires_at < @now");
        command.AddParameter("@now", database.Dialect.ToParameter(now));
        var purged = await command.ExecuteNonQueryAsync(cancellationToken);
        await session.CommitAsync(cancellationToken);
        return purged;
    }

    private static string ChangesJson(IReadOnlyDictionary<string, object?> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (column, value) in values)
            {
                writer.WritePropertyName(column);
                RowValues.WriteValue(writer, value);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
