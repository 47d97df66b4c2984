using System.Globalization;
using System.Text;

namespace Analyzer.Bench;

/// <summary>The latencies and sizes of the answers of one endpoint (thread-safe).</summary>
public sealed class EndpointStats(string name)
{
    private readonly List<double> milliseconds = [];
    private readonly List<string> failures = [];
    private long bytes;
    private int errors;

    public string Name { get; } = name;

    public int Errors => Volatile.Read(ref errors);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (failures)
            {
                return [.. failures];
            }
        }
    }

    public void Add(Measured measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        lock (milliseconds)
        {
            milliseconds.Add(measured.Milliseconds);
            bytes += measured.Bytes;
        }
        if (!measured.Success)
        {
            Interlocked.Increment(ref errors);
            lock (failures)
            {
                if (failures.Count < 5)
                {
                    failures.Add(measured.Describe());
                }
            }
        }
    }

    public LatencySummary Summary()
    {
        lock (milliseconds)
        {
            return LatencySummary.Of(milliseconds, bytes, Errors);
        }
    }
}

/// <summary>count, errors, min, median, p95, max (percentiles interpolated linearly, as numpy's default) and bytes per answer.</summary>
public sealed record LatencySummary(int Count, int Errors, double Min, double Median, double P95, double Max, double BytesPerAnswer)
{
    public static LatencySummary Of(IReadOnlyCollection<double> milliseconds, long bytes, int errors)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        if (milliseconds.Count == 0)
        {
            return new LatencySummary(0, errors, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var sorted = milliseconds.Order().ToArray();
        return new LatencySummary(sorted.Length, errors, sorted[0], Percentile(sorted, 50), Percentile(sorted, 95), sorted[^1], (double)bytes / sorted.Length);
    }

    public static double Percentile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var h = (sorted.Length - 1) * q / 100;
        var lower = (int)Math.Floor(h);
        return lower + 1 < sorted.Length ? sorted[lower] + (h - lower) * (sorted[lower + 1] - sorted[lower]) : sorted[lower];
    }

    public static double MedianOf(IEnumerable<double> values) => Percentile([.. values.Order()], 50);
}

public static class Format
{
    public static string Ms(double value) => double.IsNaN(value) ? "–" : value.ToString(value < 10 ? "0.00" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    public static string Mb(long? kb) => kb is { } k ? (k / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB" : "?";

    public static string MbOfBytes(double bytes) => double.IsNaN(bytes) ? "–" : (bytes / 1048576).ToString(bytes < 10 * 1048576 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Seconds(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "?";

    public static string Bytes(double value) =>
        double.IsNaN(value) ? "–"
        : value < 10_000 ? value.ToString("0", CultureInfo.InvariantCulture)
        : value < 10_000_000 ? (value / 1024).ToString("0", CultureInfo.InvariantCulture) + " KiB"
        : (value / 1048576).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    public static string Ratio(double value) => double.IsNaN(value) || double.IsInfinity(value) ? "–" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "×";

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>A Markdown table: readable in a terminal and pasteable into docs/benchmarks.md.</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> rows = [];

    public void Add(params string[] cells) => rows.Add(cells);

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            text.Append('|');
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < cells.Count ? cells[i] : "";
                text.Append(' ').Append(i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i])).Append(" |");
            }
            text.Append('\n');
        }
        Line(headers);
        text.Append('|');
        for (var i = 0; i < widths.Length; i++)
        {
            text.Append(i == 0 ? " :" : " ").Append('-', widths[i] - 1).Append(i == 0 ? " |" : ": |");
        }
        text.Append('\n');
        foreach (var row in rows)
        {
            Line(row);
        }
        return text.ToString();
    }
}
