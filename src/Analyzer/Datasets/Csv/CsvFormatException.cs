namespace Analyzer.Datasets.Csv;

/// <summary>
/// The uploaded file is not a CSV this service can read. <see cref="Exception.Message"/> names the line and says
/// what to fix, ready for a 400 answer; <see cref="Line"/> is 1-based, or 0 when the problem is the whole file.
/// </summary>
public sealed class CsvFormatException : Exception
{
    public CsvFormatException(int line, string message)
        : base(line > 0 ? $"line {line}: {message}" : message)
    {
        Line = line;
        Detail = message;
    }

    public CsvFormatException()
        : this(0, "the file is not valid CSV")
    {
    }

    public CsvFormatException(string message)
        : this(0, message)
    {
    }

    public CsvFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Detail = message;
    }

    /// <summary>The 1-based line the problem is on; 0 when it is about the whole file (an empty file).</summary>
    public int Line { get; }

    /// <summary>The message without the "line N: " prefix.</summary>
    public string Detail { get; }
}
