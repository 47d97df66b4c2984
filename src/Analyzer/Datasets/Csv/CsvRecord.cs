namespace Analyzer.Datasets.Csv;

/// <summary>One field as read: its text (quotes removed, <c>""</c> undoubled) and whether it was quoted.</summary>
public readonly record struct CsvField(string Value, bool WasQuoted);

/// <summary>
/// One record of a <see cref="CsvTokenizer"/>. It is a view over the tokenizer's field array, valid only until
/// the next <see cref="CsvTokenizer.TryReadRecord"/>: copy what you keep (<see cref="ToArray"/>).
/// </summary>
public readonly struct CsvRecord
{
    private readonly CsvField[] fields;

    internal CsvRecord(int line, CsvField[] fields, int count)
    {
        Line = line;
        this.fields = fields;
        Count = count;
    }

    /// <summary>The 1-based line the record starts on (a quoted field may carry it over several lines).</summary>
    public int Line { get; }

    public int Count { get; }

    public CsvField this[int index] =>
        (uint)index < (uint)Count ? fields[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public CsvField[] ToArray() => fields.AsSpan(0, Count).ToArray();

    public string[] ToValues()
    {
        var values = new string[Count];
        for (var i = 0; i < Count; i++)
        {
            values[i] = fields[i].Value;
        }
        return values;
    }
}
