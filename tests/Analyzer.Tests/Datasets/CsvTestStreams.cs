using System.Text;

namespace Analyzer.Tests.Datasets;

/// <summary>Streams for the CSV tests: text as UTF-8 bytes, whole or handed out a few bytes per read.</summary>
internal static class CsvTestStreams
{
    public static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads return at most <paramref name="chunk"/> bytes, so every buffer boundary case comes up.</summary>
    public static Stream Trickle(byte[] bytes, int chunk) => new TrickleStream(bytes, chunk);

    public static string TestDataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Datasets", "data", file);

    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
