using System.Buffers;
using Analyzer.Web;

namespace Analyzer.Tests.Web;

/// <summary><see cref="MappedFile"/>: the file's bytes exactly, in one sequence; chunks walked past are let go of and read back intact.</summary>
public sealed class MappedFileTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-mapped-");

    public void Dispose() => directory.Delete(recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(MappedFile.ChunkBytes - 1)]
    [InlineData(MappedFile.ChunkBytes)]
    [InlineData((2 * MappedFile.ChunkBytes) + 5)]
    public void The_sequence_is_the_file(int length)
    {
        var bytes = RandomBytes(length, seed: length);
        using var file = Write(bytes);
        using var mapped = new MappedFile(file);

        Assert.Equal(length, mapped.Content.Length);
        Assert.True(bytes.AsSpan().SequenceEqual(mapped.Content.ToArray()));
        Assert.Equal((length + MappedFile.ChunkBytes - 1) / MappedFile.ChunkBytes, SegmentCount(mapped.Content));
    }

    [Fact]
    public void A_reader_walking_forward_holds_two_chunks_at_most_and_reads_back_what_it_let_go()
    {
        var bytes = RandomBytes((5 * MappedFile.ChunkBytes) + 17, seed: 7);
        using var file = Write(bytes);
        using var mapped = new MappedFile(file);

        var offset = 0L;
        foreach (var segment in mapped.Content)
        {
            Assert.True(bytes.AsSpan((int)offset, segment.Length).SequenceEqual(segment.Span));
            offset += segment.Length;
            if (OperatingSystem.IsLinux())
            {
                Assert.InRange(mapped.ResidentChunks, 1, 2);
            }
        }
        // Back to the start, after it was let go: the same bytes, read again from the file.
        Assert.True(bytes.AsSpan(0, 100).SequenceEqual(mapped.Content.Slice(0, 100).ToArray()));
        Assert.True(bytes.AsSpan().SequenceEqual(mapped.Content.ToArray()));
    }

    private FileStream Write(byte[] bytes)
    {
        var file = new FileStream(Path.Combine(directory.FullName, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 4096, FileOptions.DeleteOnClose);
        file.Write(bytes);
        file.Flush();
        return file;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static int SegmentCount(ReadOnlySequence<byte> sequence)
    {
        var count = 0;
        foreach (var segment in sequence)
        {
            count += segment.IsEmpty ? 0 : 1;
        }
        return count;
    }
}
