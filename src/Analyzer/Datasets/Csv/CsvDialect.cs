namespace Analyzer.Datasets.Csv;

/// <summary>
/// How a CSV file is written: its delimiter (one of <c>,</c> <c>;</c> tab <c>|</c>) and the largest field the
/// reader accepts. Quotes are always <c>"</c>, doubled inside a quoted field (RFC 4180).
/// </summary>
public sealed record CsvDialect
{
    /// <summary>The delimiters an upload may use, in the order detection prefers them on a tie.</summary>
    public static readonly IReadOnlyList<char> Delimiters = [',', ';', '\t', '|'];

    /// <summary>A single field above this size is an error rather than a reason to buffer the whole file.</summary>
    public const int DefaultMaxFieldBytes = 16 * 1024 * 1024;

    /// <summary>How many bytes <see cref="DetectDelimiter(Stream)"/> looks at.</summary>
    public const int SampleBytes = 16 * 1024;

    /// <summary>How many records of the sample <see cref="DetectDelimiter(ReadOnlySpan{byte}, bool)"/> compares.</summary>
    public const int SampleRecords = 20;

    public static readonly CsvDialect Comma = new(',');

    public CsvDialect(char delimiter, int maxFieldBytes = DefaultMaxFieldBytes)
    {
        if (!Delimiters.Contains(delimiter))
        {
            throw new ArgumentException($"the delimiter must be one of , ; tab |, not '{delimiter}'", nameof(delimiter));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFieldBytes, 1024);
        Delimiter = delimiter;
        MaxFieldBytes = maxFieldBytes;
    }

    public char Delimiter { get; }

    public int MaxFieldBytes { get; }

    /// <summary>
    /// Reads a <c>delimiter=</c> option: the character itself (<c>,</c> <c>;</c> <c>|</c> or a tab), or the words
    /// <c>\t</c>, <c>tab</c>, <c>comma</c>, <c>semicolon</c>, <c>pipe</c>.
    /// </summary>
    public static bool TryParseDelimiter(string? text, out char delimiter)
    {
        delimiter = text switch
        {
            "," or "comma" => ',',
            ";" or "semicolon" => ';',
            "|" or "pipe" => '|',
            "\t" or "\\t" or "tab" => '\t',
            _ => '\0',
        };
        return delimiter != '\0';
    }

    /// <summary>
    /// Reads the first <see cref="SampleBytes"/> of a seekable stream, puts the position back, and returns the
    /// delimiter that splits the first records most consistently (see the span overload).
    /// </summary>
    public static char DetectDelimiter(Stream stream)
    {
        var (sample, origin) = StartSample(stream);
        var length = 0;
        int read;
        while (length < sample.Length && (read = stream.Read(sample, length, sample.Length - length)) > 0)
        {
            length += read;
        }
        return FinishSample(stream, sample, length, origin);
    }

    /// <summary>
    /// Splits the sample into records for each candidate delimiter (a quote opening a field hides delimiters and
    /// line breaks until it closes) and counts the delimiters per record. A candidate that does not occur in the
    /// first record is out. The others are ranked by the share of records with the same count as the first one,
    /// then by that count (more columns), then by the order of <see cref="Delimiters"/>. Nothing found: <c>,</c>.
    /// Unless <paramref name="wholeFile"/>, the last record of the sample may be cut off and is ignored.
    /// </summary>
    public static char DetectDelimiter(ReadOnlySpan<byte> sample, bool wholeFile)
    {
        var best = ',';
        // The best share so far as the exact fraction bestSame / bestRecords (0/1 to start).
        var (bestSame, bestRecords, bestCount) = (0, 1, 0);
        Span<int> counts = stackalloc int[SampleRecords];
        foreach (var candidate in Delimiters)
        {
            var records = CountPerRecord(sample, (byte)candidate, wholeFile, counts);
            if (records == 0 || counts[0] == 0)
            {
                continue;
            }
            var same = 0;
            foreach (var count in counts[..records])
            {
                same += count == counts[0] ? 1 : 0;
            }
            // same / records against bestSame / bestRecords, cross-multiplied: exact, no floating point.
            var comparison = ((long)same * bestRecords).CompareTo((long)bestSame * records);
            if (comparison > 0 || (comparison == 0 && counts[0] > bestCount))
            {
                (best, bestSame, bestRecords, bestCount) = (candidate, same, records, counts[0]);
            }
        }
        return best;
    }

    /// <summary><see cref="DetectDelimiter(Stream)"/> with asynchronous reads.</summary>
    public static async Task<char> DetectDelimiterAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var (sample, origin) = StartSample(stream);
        var length = 0;
        int read;
        while (length < sample.Length && (read = await stream.ReadAsync(sample.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        return FinishSample(stream, sample, length, origin);
    }

    private static (byte[] Sample, long Origin) StartSample(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("delimiter detection reads the start of the file twice: spool the upload to a seekable stream first", nameof(stream));
        }
        return (new byte[SampleBytes], stream.Position);
    }

    private static char FinishSample(Stream stream, byte[] sample, int length, long origin)
    {
        var wholeFile = length < sample.Length || stream.Position == stream.Length;
        stream.Position = origin;
        return DetectDelimiter(sample.AsSpan(0, length), wholeFile);
    }

    /// <summary>Delimiter counts of the first complete records (blank lines skipped); returns how many it filled.</summary>
    private static int CountPerRecord(ReadOnlySpan<byte> sample, byte delimiter, bool wholeFile, Span<int> counts)
    {
        var records = 0;
        var count = 0;
        var inRecord = false;
        var atFieldStart = true;
        var inQuotes = false;
        for (var i = 0; i < sample.Length && records < counts.Length; i++)
        {
            var b = sample[i];
            if (inQuotes)
            {
                if (b == (byte)'"')
                {
                    if (i + 1 < sample.Length && sample[i + 1] == (byte)'"')
                    {
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                continue;
            }
            if (b is (byte)'\r' or (byte)'\n')
            {
                if (inRecord)
                {
                    counts[records++] = count;
                }
                (count, inRecord, atFieldStart) = (0, false, true);
                continue;
            }
            inRecord = true;
            if (b == delimiter)
            {
                count++;
                atFieldStart = true;
                continue;
            }
            inQuotes = atFieldStart && b == (byte)'"';
            atFieldStart = false;
        }
        // The record the sample ends in counts if the file ends there too, or if it is the only one there is.
        if (inRecord && records < counts.Length && (wholeFile || records == 0))
        {
            counts[records++] = count;
        }
        return records;
    }
}
