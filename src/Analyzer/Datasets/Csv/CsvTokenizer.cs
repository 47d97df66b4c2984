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
/// Every violation is a <see cref="CsvFormatException"/> with the line it is on. Reads are synchronous: give it a
/// file, not a request body. The stream is not disposed.
/// </summary>
public sealed class CsvTokenizer
{
    public const int MaxFields = 1600;

    private const int BufferSize = 64 * 1024;
    private const byte Quote = (byte)'"';
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly SearchValues<byte> QuotedStops = SearchValues.Create([Quote, Cr, Lf, 0]);

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

    private CsvTokenizer(Stream stream, CsvDialect dialect)
    {
        this.stream = stream;
        delimiter = (byte)dialect.Delimiter;
        maxFieldBytes = dialect.MaxFieldBytes;
        buffer = new byte[Math.Min(BufferSize, maxFieldBytes)];
        unquotedStops = SearchValues.Create([delimiter, Cr, Lf, 0]);
    }

    public static CsvTokenizer Open(Stream stream, CsvDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(dialect);
        return new CsvTokenizer(stream, dialect);
    }

    /// <summary>Reads the next record; false at the end of the file. The record is valid until the next call.</summary>
    public bool TryReadRecord(out CsvRecord record)
    {
        if (!started)
        {
            started = true;
            SkipByteOrderMark();
        }
        if (!SkipBlankLines())
        {
            record = default;
            return false;
        }
        var recordLine = line;
        count = 0;
        while (true)
        {
            if (start == end && !Fill())
            {
                AddField(string.Empty, wasQuoted: false, recordLine);   // "a," at the end of the file
                break;
            }
            fieldLine = line;
            var terminator = buffer[start] == Quote ? ReadQuotedField(recordLine) : ReadUnquotedField(recordLine);
            if (terminator != delimiter)
            {
                break;
            }
        }
        record = new CsvRecord(recordLine, fields, count);
        return true;
    }

    /// <summary>All records, each copied (for tests and small files; the upload path uses <see cref="TryReadRecord"/>).</summary>
    public IEnumerable<CsvField[]> ReadAll()
    {
        while (TryReadRecord(out var record))
        {
            yield return record.ToArray();
        }
    }

    private void SkipByteOrderMark()
    {
        while (end - start < 3 && Fill())
        {
        }
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

    /// <summary>Consumes line breaks before a record; false at the end of the file.</summary>
    private bool SkipBlankLines()
    {
        while (true)
        {
            if (start == end && !Fill())
            {
                return false;
            }
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
    }

    /// <summary>Reads a field that does not start with a quote; returns the byte that ended it (0 at the end of the file).</summary>
    private byte ReadUnquotedField(int recordLine)
    {
        var scanned = 0;
        while (true)
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
                AddField(Decode(start, length, line), wasQuoted: false, recordLine);
                start += length + 1;
                return Terminate(stop);
            }
            scanned = end - start;
            if (!Fill())
            {
                AddField(Decode(start, scanned, line), wasQuoted: false, recordLine);
                start = end;
                return 0;
            }
        }
    }

    /// <summary>Reads a field that starts with a quote; returns the byte after its closing quote (0 at the end of the file).</summary>
    private byte ReadQuotedField(int recordLine)
    {
        var openLine = fieldLine;
        var scanned = 1;
        var doubledQuotes = false;
        while (true)
        {
            var at = buffer.AsSpan(start + scanned, end - start - scanned).IndexOfAny(QuotedStops);
            if (at < 0)
            {
                scanned = end - start;
                if (!Fill())
                {
                    throw new CsvFormatException(openLine, "a quoted field starts on this line but its closing quote is missing (inside quotes, write a quote as \"\")");
                }
                continue;
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
                if (Fill())
                {
                    continue;
                }
                AddQuotedField(at, doubledQuotes, openLine, recordLine);
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
            AddQuotedField(at, doubledQuotes, openLine, recordLine);
            start += at + 2;
            return Terminate(next);
        }
    }

    private void AddQuotedField(int closingQuote, bool doubledQuotes, int openLine, int recordLine)
    {
        var value = Decode(start + 1, closingQuote - 1, openLine);
        AddField(doubledQuotes ? value.Replace("\"\"", "\"", StringComparison.Ordinal) : value, wasQuoted: true, recordLine);
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

    private void AddField(string value, bool wasQuoted, int recordLine)
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

    /// <summary>
    /// Keeps the current field (from <see cref="start"/>) and reads more after it: moved to the front of the
    /// buffer, which doubles only when that field fills it. False at the end of the file.
    /// </summary>
    private bool Fill()
    {
        if (endOfFile)
        {
            return false;
        }
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
        var read = stream.Read(buffer, end, buffer.Length - end);
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
