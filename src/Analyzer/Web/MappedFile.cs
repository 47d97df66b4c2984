using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Analyzer.Web;

/// <summary>
/// A file's bytes as one <see cref="ReadOnlySequence{T}"/> (what <see cref="JsonBody"/> and the import reader read), mapped
/// into memory in chunks of 4 MiB. The pages of a chunk count in the process's memory once read; on Linux, whenever a
/// reader moves to a chunk, every chunk but that one and the one before is dropped from memory (<c>madvise</c>
/// <c>MADV_DONTNEED</c>: the file is mapped read-only, so a chunk read again is simply read again from the file, or
/// the kernel's page cache). A reader that walks the body from start to end, as the checks and the import reader do,
/// so holds about 8 MiB of it at a time, whatever the body's size. Elsewhere the chunks stay mapped until disposed.
/// </summary>
/// <remarks>
/// Hand-written: .NET maps files (<see cref="MemoryMappedFile"/>) but has no sequence over a mapping, nor a way to
/// drop pages read; the readers need one contiguous sequence, so a stream cannot stand in.
/// </remarks>
public sealed unsafe partial class MappedFile : IDisposable
{
    internal const int ChunkBytes = 4 << 20;

    private readonly MemoryMappedFile? mapping;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* start;
    private readonly Chunk[] chunks = [];
    private readonly bool[] resident = [];
    private int current = -1;

    /// <summary>Maps <paramref name="file"/> (left open: the caller owns it) as it is now, read-only.</summary>
    public MappedFile(FileStream file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var length = file.Length;
        if (length == 0)
        {
            return;
        }
        mapping = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        start = pointer + view.PointerOffset;
        var count = (int)((length + ChunkBytes - 1) / ChunkBytes);
        chunks = new Chunk[count];
        resident = new bool[count];
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < count; i++)
        {
            var offset = (long)i * ChunkBytes;
            chunks[i] = new Chunk(this, i, offset, (int)Math.Min(ChunkBytes, length - offset));
            var segment = new Segment(chunks[i].Memory, offset);
            last?.Link(segment);
            first ??= segment;
            last = segment;
        }
        Content = new ReadOnlySequence<byte>(first!, 0, last!, chunks[^1].Length);
    }

    /// <summary>The file's bytes.</summary>
    public ReadOnlySequence<byte> Content { get; } = ReadOnlySequence<byte>.Empty;

    /// <summary>How many chunks are in memory as far as this mapping knows (those read and not dropped since).</summary>
    internal int ResidentChunks => resident.Count(r => r);

    public void Dispose()
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        mapping?.Dispose();
    }

    /// <summary>A reader has moved to chunk <paramref name="index"/>: drop the chunks other than it and the one before.</summary>
    private void Reading(int index)
    {
        if (index == current)
        {
            return;
        }
        current = index;
        resident[index] = true;
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        for (var i = 0; i < resident.Length; i++)
        {
            if (resident[i] && i != index && i != index - 1)
            {
                // Read-only and shared with the file: nothing is lost, and a failure only leaves the pages in memory.
                _ = Madvise((nint)(start + ((long)i * ChunkBytes)), (nuint)chunks[i].Length, MadviseDontNeed);
                resident[i] = false;
            }
        }
    }

    private const int MadviseDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    private sealed class Chunk(MappedFile file, int index, long offset, int length) : MemoryManager<byte>
    {
        public int Length => length;

        public override Span<byte> GetSpan()
        {
            file.Reading(index);
            return new Span<byte>(file.start + offset, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0) => new(file.start + offset + elementIndex);

        public override void Unpin()
        {
            // Mapped memory does not move.
        }

        protected override void Dispose(bool disposing)
        {
            // The mapping is released by the MappedFile.
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Segment next) => Next = next;
    }
}
