using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Analyzer.Datasets.Csv;

/// <summary>
/// Reads RFC 4180 records from a stream of UTF-8 bytes without holding the file: a 64 KiB buffer, grown only
/// while a single field is longer than it (up to <see cref="CsvDialect.MaxFieldBytes"/>). Rules:
/// <list type="bullet">
/// <item>a field is quoted when it starts with <c>"</c>; inside, <c>""</c> is a quote and delimiters and line
/// breaks (kept as written, CRLF too) are text; after the closing quote only a delimiter, a line break or the end
/// may follow. A <c>"</c> inside an unquoted field is an ordinary character;</item>
/// <item>records end at <c>\n</c>, <c>\r\n</c> or <c>\r</c>; blank lines are skipped (so a trailing newline adds
/// nothing, and a one-column file writes NULL as the null marker, not as an empty line);</item>
/// <item>a UTF-8 byte order mark at the start is skipped; the bytes must be strict UTF-8 (no replacement
/// characters) without NUL bytes;</item>
/// <item>at most <see cref="MaxFields"/> fields per record.</item>
/// </list>
/// Every violation is a <see cref="CsvFormatException"/> with the line it is on. Records are read synchronously
/// (<see cref="TryReadRecord"/>) or with asynchronous reads that honour a cancellation token
/// (<see cref="ReadRecordAsync"/>). The stream is not disposed.
/// </summary>
/// <remarks>
/// Why asynchronous refills of the one buffer rather than a <see cref="System.IO.Pipelines.PipeReader"/>: the
/// tokenizer finds stops with a vectorised <c>IndexOfAny</c> over a contiguous span and decodes each field from one
/// span, and a field may be up to 16 MiB. A pipe hands out a <see cref="System.Buffers.ReadOnlySequence{T}"/> of
/// 4 KiB segments, so every field that straddles a segment would need a second, slower path (or a copy into a
/// buffer like this one anyway). Instead the scanning code never reads: it works on the bytes in the buffer and,
/// when it runs out, returns "need more" with its place kept in a few fields (inside which field, how far scanned);
/// the caller refills, synchronously or with an awaited <c>ReadAsync</c>, and calls again. The hot loop stays
/// synchronous and is the same for both, and only one await per 64 KiB is paid.
/// </remarks>
public sealed class CsvTokenizer
{
    public const int MaxFields = 1600;

    private const int BufferSize = 64 * 1024;
    private const byte Quote = (byte)'"';
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    /// <summary>What a field reader returns when the buffer ran out before the field ended (else the byte that ended it, 0 at the end of the file).</summary>
    private const int NeedMore = -1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly SearchValues<byte> QuotedStops = SearchValues.Create(Quote, Cr, Lf, (byte)0);

    private readonly Stream stream;
    private readonly byte delimiter;
    private readonly int maxFieldBytes;
    private readonly SearchValues<byte> unquotedStops;
    private byte[] buffer;
    private int start;      // the first byte not consumed yet; while a field is read, the field's first byte
    private int end;        // the end of the bytes read into the buffer
    private bool endOfFile;
    private bool started;
    private bool afterCr;   // the last byte consumed was a CR: an LF now finishes that line break
    private int line = 1;   // the line the byte at 'start' is on (inside a quoted field: the line scanned up to)
    private int fieldLine;  // the line the current field starts on
    private CsvField[] fields = new CsvField[16];
    private int count;

    // Where reading stopped when the buffer ran out in the middle of a record, to go on from there after a refill.
    private bool inRecord;          // the record's first field has been reached: recordLine and count are its own
    private int recordLine;         // the line the current record starts on
    private FieldState field;       // reading which kind of field (from 'start'), or none
    private int scanned;            // how many bytes of that field, from 'start', are scanned already
    private bool doubledQuotes;     // the quoted field being read contains ""

    private enum FieldState : byte
    {
        None,
        Unquoted,
        Quoted,
    }

    private enum Step : byte
    {
        Record,
        NeedMore,
        End,
    }

    private CsvTokenizer(Stream stream, CsvDialect dialect)
    {
        this.stream = stream;
        delimiter = (byte)dialect.Delimiter;
        maxFieldBytes = dialect.MaxFieldBytes;
        buffer = new byte[Math.Min(BufferSize, maxFieldBytes)];
        unquotedStops = SearchValues.Create(delimiter, Cr, Lf, (byte)0);
    }

    public static CsvTokenizer Open(Stream stream, CsvDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(dialect);
        return new CsvTokenizer(stream, dialect);
    }

    /// <summary>The record the last successful <see cref="ReadRecordAsync"/> (or <see cref="TryReadRecord"/>) read; valid until the next call.</summary>
    public CsvRecord Current => new(recordLine, fields, count);

    /// <summary>Reads the next record; false at the end of the file. The record is valid until the next call.</summary>
    public bool TryReadRecord(out CsvRecord record)
    {
        Step step;
        while ((step = Advance()) == Step.NeedMore)
        {
            Refill();
        }
        record = step == Step.Record ? Current : default;
        return step == Step.Record;
    }

    /// <summary>
    /// Reads the next record (then <see cref="Current"/>) with asynchronous reads of the stream; false at the end of
    /// the file. Completes synchronously while the buffer holds the record; the token is checked before every read.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before a read.</exception>
    public ValueTask<bool> ReadRecordAsync(CancellationToken cancellationToken = default)
    {
        var step = Advance();
        return step == Step.NeedMore ? ReadRecordAfterRefillAsync(cancellationToken) : ValueTask.FromResult(step == Step.Record);
    }

    private async ValueTask<bool> ReadRecordAfterRefillAsync(CancellationToken cancellationToken)
    {
        Step step;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = await stream.ReadAsync(PrepareRefill(), cancellationToken);
            FinishRefill(read);
        }
        while ((step = Advance()) == Step.NeedMore);
        return step == Step.Record;
    }

    /// <summary>All records, each copied (for tests and small files; the upload passes read record by record).</summary>
    public IEnumerable<CsvField[]> ReadAll()
    {
        while (TryReadRecord(out var record))
        {
            yield return record.ToArray();
        }
    }

    /// <summary>
    /// Reads as far as the buffer goes: a whole record, the end of the file, or <see cref="Step.NeedMore"/> (never
    /// once the end of the file was reached) with its place kept, to be called again after a refill.
    /// </summary>
    private Step Advance()
    {
        if (!started)
        {
            if (end - start < 3 && !endOfFile)
            {
                return Step.NeedMore;
            }
            started = true;
            SkipByteOrderMark();
        }
        if (!inRecord)
        {
            if (!SkipBlankLines())
            {
                return endOfFile ? Step.End : Step.NeedMore;
            }
            inRecord = true;
            recordLine = line;
            count = 0;
        }
        while (true)
        {
            if (field == FieldState.None)
            {
                if (start == end)
                {
                    if (!endOfFile)
                    {
                        return Step.NeedMore;
                    }
                    AddField(string.Empty, wasQuoted: false);   // "a," at the end of the file
                    break;
                }
                fieldLine = line;
                if (buffer[start] == Quote)
                {
                    (field, scanned, doubledQuotes) = (FieldState.Quoted, 1, false);
                }
                else
                {
                    (field, scanned) = (FieldState.Unquoted, 0);
                }
            }
            var terminator = field == FieldState.Quoted ? ReadQuotedField() : ReadUnquotedField();
            if (terminator == NeedMore)
            {
                return Step.NeedMore;
            }
            field = FieldState.None;
            if (terminator != delimiter)
            {
                break;
            }
        }
        inRecord = false;
        return Step.Record;
    }

    private void SkipByteOrderMark()
    {
        var head = buffer.AsSpan(start, end - start);
        if (head.StartsWith("\uFEFF"u8))
        {
            start += 3;
        }
        else if (head is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
        {
            throw new CsvFormatException(1, "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 and upload it again");
        }
    }

    /// <summary>Consumes line breaks before a record; false when the buffer is used up (at the end of the file or not).</summary>
    private bool SkipBlankLines()
    {
        while (start < end)
        {
            var b = buffer[start];
            if (b == Lf)
            {
                line += afterCr ? 0 : 1;
                afterCr = false;
            }
            else if (b == Cr)
            {
                line++;
                afterCr = true;
            }
            else
            {
                afterCr = false;
                return true;
            }
            start++;
        }
        return false;
    }

    /// <summary>
    /// Reads a field that does not start with a quote; returns the byte that ended it (0 at the end of the file), or
    /// <see cref="NeedMore"/>.
    /// </summary>
    private int ReadUnquotedField()
    {
        var at = buffer.AsSpan(start + scanned, end - start - scanned).IndexOfAny(unquotedStops);
        if (at >= 0)
        {
            var length = scanned + at;
            var stop = buffer[start + length];
            if (stop == 0)
            {
                throw NulByte(line);
            }
            AddField(Decode(start, length, line), wasQuoted: false);
            start += length + 1;
            return Terminate(stop);
        }
        if (!endOfFile)
        {
            scanned = end - start;
            return NeedMore;
        }
        AddField(Decode(start, end - start, line), wasQuoted: false);
        start = end;
        return 0;
    }

    /// <summary>
    /// Reads a field that starts with a quote; returns the byte after its closing quote (0 at the end of the file),
    /// or <see cref="NeedMore"/>.
    /// </summary>
    private int ReadQuotedField()
    {
        var openLine = fieldLine;
        while (true)
        {
            var at = buffer.AsSpan(start + scanned, end - start - scanned).IndexOfAny(QuotedStops);
            if (at < 0)
            {
                scanned = end - start;
                if (endOfFile)
                {
                    throw new CsvFormatException(openLine, "a quoted field starts on this line but its closing quote is missing (inside quotes, write a quote as \"\")");
                }
                return NeedMore;
            }
            at += scanned;
            var b = buffer[start + at];
            if (b != Quote)
            {
                if (b == 0)
                {
                    throw NulByte(line);
                }
                line += b == Lf && buffer[start + at - 1] == Cr ? 0 : 1;
                scanned = at + 1;
                continue;
            }
            if (start + at + 1 == end)
            {
                scanned = at;   // look at this quote again once the byte after it is read
                if (!endOfFile)
                {
                    return NeedMore;
                }
                AddQuotedField(at, doubledQuotes, openLine);
                start = end;
                return 0;
            }
            var next = buffer[start + at + 1];
            if (next == Quote)
            {
                doubledQuotes = true;
                scanned = at + 2;
                continue;
            }
            if (next != delimiter && next != Cr && next != Lf)
            {
                throw new CsvFormatException(line, $"{Describe(start + at + 1)} follows the closing quote of a field; a quoted field must end at its closing quote (quote the whole field and write a quote inside it as \"\")");
            }
            AddQuotedField(at, doubledQuotes, openLine);
            start += at + 2;
            return Terminate(next);
        }
    }

    private void AddQuotedField(int closingQuote, bool doubledQuotes, int openLine)
    {
        var value = Decode(start + 1, closingQuote - 1, openLine);
        AddField(doubledQuotes ? value.Replace("\"\"", "\"", StringComparison.Ordinal) : value, wasQuoted: true);
    }

    private byte Terminate(byte stop)
    {
        if (stop == Cr || stop == Lf)
        {
            line++;
            afterCr = stop == Cr;
        }
        return stop;
    }

    private void AddField(string value, bool wasQuoted)
    {
        if (count == fields.Length)
        {
            if (count == MaxFields)
            {
                throw new CsvFormatException(recordLine, $"the record has more than {MaxFields:N0} fields, the most a table can have; is the delimiter right?");
            }
            Array.Resize(ref fields, Math.Min(fields.Length * 2, MaxFields));
        }
        fields[count++] = new CsvField(value, wasQuoted);
    }

    /// <summary>Reads more of the stream synchronously; false at the end of the file.</summary>
    private void Refill() => FinishRefill(stream.Read(PrepareRefill().Span));

    /// <summary>
    /// Keeps the current field (from <see cref="start"/>) and returns the free space after it: the field is moved to
    /// the front of the buffer, which doubles only when that field fills it.
    /// </summary>
    private Memory<byte> PrepareRefill()
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            if (buffer.Length >= maxFieldBytes)
            {
                throw new CsvFormatException(fieldLine, $"a field starting on this line is longer than {maxFieldBytes:N0} bytes; is a closing quote missing?");
            }
            Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxFieldBytes));
        }
        return buffer.AsMemory(end);
    }

    /// <summary>Takes in <paramref name="read"/> bytes read into the space <see cref="PrepareRefill"/> gave; false at the end of the file.</summary>
    private bool FinishRefill(int read)
    {
        if (read == 0)
        {
            endOfFile = true;
            return false;
        }
        end += read;
        return true;
    }

    private string Decode(int offset, int length, int firstLine)
    {
        if (length == 0)
        {
            return string.Empty;
        }
        var bytes = buffer.AsSpan(offset, length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw InvalidUtf8(bytes, firstLine);
        }
    }

    private static CsvFormatException InvalidUtf8(ReadOnlySpan<byte> bytes, int firstLine)
    {
        var index = FirstInvalidUtf8(bytes);
        var before = bytes[..index];
        var breaks = before.Count(Lf) + before.Count(Cr) - before.Count("\r\n"u8);
        var shown = bytes.Slice(index, Math.Min(4, bytes.Length - index)).ToArray();
        var hex = string.Join(' ', shown.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
        return new CsvFormatException(firstLine + breaks, $"the file is not valid UTF-8 ({(shown.Length == 1 ? "byte" : "bytes")} {hex}); save it as UTF-8 (\"CSV UTF-8\") and upload it again");
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[512];
        var consumed = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(bytes[consumed..], chars, out var read, out _, replaceInvalidSequences: false);
            consumed += read;
            if (status != OperationStatus.DestinationTooSmall)
            {
                return status == OperationStatus.Done ? bytes.Length : consumed;
            }
        }
    }

    private static CsvFormatException NulByte(int line) =>
        new(line, "the file contains a NUL byte, which text cannot hold; is it a binary or UTF-16 file?");

    private string Describe(int offset)
    {
        var b = buffer[offset];
        return b is >= 0x20 and < 0x7F ? $"'{(char)b}'" : $"the byte 0x{b:X2}";
    }
}
