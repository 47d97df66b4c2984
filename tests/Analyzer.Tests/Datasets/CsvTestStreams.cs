using System.Text;

namespace Analyzer.Tests.Datasets;

/// <summary>Streams for the CSV tests: text as UTF-8 bytes, whole or handed out a few bytes per read.</summary>
internal static class CsvTestStreams
{
    public static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads return at most <paramref name="chunk"/> bytes, so every buffer boundary case comes up.</summary>
    public static Stream Trickle(byte[] bytes, int chunk) => new TrickleStream(bytes, chunk);

    /// <summary>
    /// Reads only asynchronously (a synchronous read fails), at most <paramref name="chunk"/> bytes each, and every
    /// read yields first, so an asynchronous reader really goes on after an await at each buffer boundary.
    /// </summary>
    public static AsyncOnlyStream TrickleAsync(byte[] bytes, int chunk = int.MaxValue) => new(bytes, chunk);

    public static string TestDataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Datasets", "data", file);

    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}

/// <summary>A seekable read-only stream over bytes that can only be read asynchronously; it counts what it handed out.</summary>
internal sealed class AsyncOnlyStream(byte[] bytes, int chunk) : Stream
{
    private int position;

    /// <summary>How many bytes reads have returned in all.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Called after each read with <see cref="BytesRead"/>.</summary>
    public Action<long>? AfterRead { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => bytes.Length;

    public override long Position
    {
        get => position;
        set => position = (int)Math.Clamp(value, 0, bytes.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new InvalidOperationException("a synchronous read of a stream that is to be read asynchronously");

    public override int Read(Span<byte> buffer) =>
        throw new InvalidOperationException("a synchronous read of a stream that is to be read asynchronously");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        var length = Math.Min(Math.Min(buffer.Length, chunk), bytes.Length - position);
        bytes.AsSpan(position, length).CopyTo(buffer.Span);
        position += length;
        BytesRead += length;
        AfterRead?.Invoke(BytesRead);
        return length;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => position + offset,
        _ => bytes.Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
