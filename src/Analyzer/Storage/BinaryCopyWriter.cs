using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Npgsql;

namespace Analyzer.Storage;

/// <summary>
/// Writes rows in PostgreSQL's binary COPY format into a buffer and sends it to the server in 64 KiB
/// chunks with asynchronous writes. Encoding a row is a few span writes, against one awaited call per
/// field with <see cref="NpgsqlBinaryImporter"/>; that halves the client's share of a bulk load.
/// </summary>
public sealed class BinaryCopyWriter : IRowWriter, IAsyncDisposable
{
    private const int ChunkBytes = 64 * 1024;

    private static readonly DateOnly PostgresEpochDate = new(2000, 1, 1);
    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>"PGCOPY\n\377\r\n\0": raw bytes (a u8 literal would encode \xff as two bytes of UTF-8).</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    private readonly NpgsqlRawCopyStream copy;
    private readonly ArrayBufferWriter<byte> buffer = new(ChunkBytes * 2);
    private bool completed;

    private BinaryCopyWriter(NpgsqlRawCopyStream copy) => this.copy = copy;

    /// <summary>Starts <c>COPY table (columns) FROM STDIN (FORMAT BINARY)</c> on the connection.</summary>
    public static async Task<BinaryCopyWriter> StartAsync(NpgsqlConnection connection, string copyCommand, CancellationToken cancellationToken)
    {
        var writer = new BinaryCopyWriter(await connection.BeginRawBinaryCopyAsync(copyCommand, cancellationToken));
        // Signature, flags (no OIDs), header extension length.
        writer.buffer.Write(Signature);
        writer.Int32(0);
        writer.Int32(0);
        return writer;
    }

    public void StartRow(int fieldCount) => Int16((short)fieldCount);

    public void WriteNull() => Int32(-1);

    public void WriteInt64(long value)
    {
        Int32(8);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    public void WriteInt32(int value)
    {
        Int32(4);
        Int32(value);
    }

    public void WriteDouble(double value)
    {
        Int32(8);
        BinaryPrimitives.WriteDoubleBigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    public void WriteBoolean(bool value)
    {
        Int32(1);
        buffer.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        buffer.Advance(1);
    }

    /// <summary>A date: days since 2000-01-01.</summary>
    public void WriteDate(DateOnly value)
    {
        Int32(4);
        Int32(value.DayNumber - PostgresEpochDate.DayNumber);
    }

    /// <summary>A timestamptz: microseconds since 2000-01-01 UTC.</summary>
    public void WriteTimestamp(DateTimeOffset value)
    {
        Int32(8);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), (value.UtcTicks - PostgresEpoch.Ticks) / 10);
        buffer.Advance(8);
    }

    public void WriteText(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Int32(length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    /// <summary>An <c>integer[]</c>: dimensions, no-nulls flag, element type oid (int4), then length and lower bound, then the elements.</summary>
    public void WriteIdList(IReadOnlyList<int> ids)
    {
        const int Int4Oid = 23;
        if (ids.Count == 0)
        {
            Int32(12);
            Int32(0);
            Int32(0);
            Int32(Int4Oid);
            return;
        }
        Int32(20 + (8 * ids.Count));
        Int32(1);
        Int32(0);
        Int32(Int4Oid);
        Int32(ids.Count);
        Int32(1);
        foreach (var id in ids)
        {
            Int32(4);
            Int32(id);
        }
    }

    /// <summary>Sends the buffer once it holds a chunk; call after each row.</summary>
    public ValueTask FlushIfFullAsync(CancellationToken cancellationToken) =>
        buffer.WrittenCount >= ChunkBytes ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await copy.WriteAsync(buffer.WrittenMemory, cancellationToken);
        buffer.ResetWrittenCount();
    }

    /// <summary>Writes the trailer and the rest of the buffer; disposing afterwards ends the COPY.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        Int16(-1);
        await FlushAsync(cancellationToken);
        completed = true;
    }

    /// <summary>
    /// Ends the COPY: after <see cref="CompleteAsync"/> its rows belong to the transaction; otherwise (an
    /// exception while writing rows) the COPY is cancelled, so that the original exception is the one seen. A COPY
    /// that the server already ended (the connection was cut: a restart, an outage) has nothing left to cancel or
    /// close, and saying so again would hide that original exception behind an ObjectDisposedException (a 500
    /// instead of the 503 the outage deserves).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!completed)
            {
                await copy.CancelAsync();
            }
            await copy.DisposeAsync();
        }
        catch (Exception e) when (!completed && e is ObjectDisposedException or NpgsqlException)
        {
            // The COPY already ended with the connection: the exception that ended it is on its way up.
        }
    }

    private void Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(buffer.GetSpan(2), value);
        buffer.Advance(2);
    }

    private void Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }
}
