using Analyzer.Datasets.Csv;
using Analyzer.Datasets.Geography;
using Analyzer.Events;
using Analyzer.Storage;

namespace Analyzer.Datasets;

public enum UploadStatus { Created, AlreadyExists, NotCompatible }

public sealed record UploadOutcome(UploadStatus Status, Dataset? Dataset = null, string? Problem = null);

/// <summary>Loads a scanned CSV file as a dataset: created, replaced or appended to, in one transaction.</summary>
public sealed class DatasetUploads(Database database, DatasetCatalog catalog, Spatial spatial, TimeProvider time)
{
    /// <summary>
    /// Creates (or replaces, or appends to) a dataset from a scanned CSV file under the dataset's exclusive
    /// lock: the table, its rows and its catalog entry all appear, or nothing does. <paramref name="coordinates"/> makes a
    /// new table geographic (<see cref="GeoColumns.Choose"/>); appended rows keep the existing table's coordinates. A
    /// coordinate out of range is a <see cref="CsvFormatException"/> naming its line.
    /// </summary>
    public async Task<UploadOutcome> UploadAsync(
        string name, string? sourceFile, CsvTable csv, Stream file, UploadMode mode, CancellationToken cancellationToken, (string Lat, string Lon)? coordinates = null,
        RowProgress? progress = null)
    {
        progress?.SetTotal(csv.RowCount);
        var postGis = coordinates is not null && await spatial.UsesPostGisAsync(cancellationToken);
        await using var session = await database.BeginWriteAsync(ResourceLock.Dataset(name), cancellationToken);
        var existing = await catalog.GetAsync(session, name, cancellationToken);
        if (existing is not null && mode == UploadMode.Create)
        {
            return new UploadOutcome(UploadStatus.AlreadyExists, Problem: $"dataset {name} exists; upload with mode=replace or mode=append");
        }

        var now = time.GetUtcNow();
        Dataset dataset;
        if (existing is not null && mode == UploadMode.Append)
        {
            if (AppendProblem(existing, csv) is { } problem)
            {
                return new UploadOutcome(UploadStatus.NotCompatible, Problem: problem);
            }
            var appended = await LoadAsync(session, existing.Name, existing.Columns,
                csv.ReadRowsAs(file, [.. existing.Columns.Select(c => c.Type)], cancellationToken, existing.Geo?.RowCheck(existing.Columns))
                    .TrackedBy(progress, cancellationToken), cancellationToken);
            dataset = existing with { RowCount = existing.RowCount + appended, UpdatedAt = now };
        }
        else
        {
            if (existing is not null)
            {
                await catalog.DropAsync(session, name, cancellationToken);
            }
            var columns = csv.Columns.Select(c => new DatasetColumn(c.Name, c.Type, c.Nullable)).ToArray();
            var geo = coordinates is var (lat, lon) ? new GeoColumns(lat, lon, postGis) : null;
            var ddl = Ddl.CreateTable(database.Dialect, name, columns, geo);
            await session.ExecuteAsync(ddl, cancellationToken);
            var rows = await LoadAsync(session, name, columns, csv.ReadRows(file, cancellationToken, geo?.RowCheck(columns)).TrackedBy(progress, cancellationToken), cancellationToken);
            dataset = new Dataset(name, columns, ddl, sourceFile, rows, existing?.CreatedAt ?? now, now, DatasetCatalog.NewVersion(), geo);
        }
        await catalog.SaveAsync(session, dataset, cancellationToken);
        var type = existing is null ? EventTypes.DatasetCreated : mode == UploadMode.Append ? EventTypes.DatasetAppended : EventTypes.DatasetReplaced;
        await Outbox.AppendAsync(session, EventTypes.ForDataset(type, name, dataset.RowCount), cancellationToken);
        await session.CommitAsync(cancellationToken);
        return new UploadOutcome(UploadStatus.Created, dataset);
    }

    private Task<long> LoadAsync(DbSession session, string name, IReadOnlyList<DatasetColumn> columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken) =>
        database.BulkInsertAsync(session, database.Dialect.DatasetTable(name), [.. columns.Select(c => Ddl.Quote(c.Name))], rows,
            (row, writer) =>
            {
                foreach (var value in row)
                {
                    writer.WriteValue(value);
                }
            },
            cancellationToken);

    /// <summary>Why rows of <paramref name="csv"/> cannot be appended to <paramref name="existing"/>, or null.</summary>
    private static string? AppendProblem(Dataset existing, CsvTable csv)
    {
        var names = csv.Columns.Select(c => c.Name).ToArray();
        if (!names.SequenceEqual(existing.Columns.Select(c => c.Name)))
        {
            return $"appended columns ({string.Join(", ", names)}) differ from the dataset's ({string.Join(", ", existing.Columns.Select(c => c.Name))})";
        }
        foreach (var (column, incoming) in existing.Columns.Zip(csv.Columns))
        {
            var fits = incoming.Type == column.Type
                || column.Type == ColumnType.Text
                || (column.Type == ColumnType.Float && incoming.Type == ColumnType.Integer)
                || (column.Type == ColumnType.Timestamp && incoming.Type == ColumnType.Date);
            if (!fits)
            {
                return $"column {column.Name} is {column.Type.ToApiName()}, but the appended values are {incoming.Type.ToApiName()}";
            }
            if (!column.Nullable && incoming.Nullable)
            {
                return $"column {column.Name} is NOT NULL, but the appended file has empty values in it";
            }
        }
        return null;
    }
}
