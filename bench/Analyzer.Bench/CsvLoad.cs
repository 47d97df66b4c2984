using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Analyzer.Bench;

public sealed record CsvLoadOptions(string File, string? Name, bool? Header, string? Null, string? Columns, string? Delimiter, int Repeat, TimeSpan TimeLimit);

/// <summary>Uploads a CSV file to POST /datasets (text/csv, sent from the file) and reports the time and the server's peak RSS.</summary>
public static class CsvLoad
{
    public static async Task<int> RunAsync(Target target, CsvLoadOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var bytes = new FileInfo(options.File).Length;
        var name = options.Name ?? new string([.. Path.GetFileNameWithoutExtension(options.File).ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        output.WriteLine($"csv-load: {options.File} ({Format.MbOfBytes(bytes)} MB) as dataset '{name}', {options.Repeat} upload(s) (mode=replace)");
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} before the run");

        var query = new StringBuilder($"/datasets?name={Uri.EscapeDataString(name)}&mode=replace");
        void Add(string key, string? value)
        {
            if (value is not null)
            {
                query.Append('&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
        Add("header", options.Header is { } header ? (header ? "true" : "false") : null);
        Add("null", options.Null);
        Add("columns", options.Columns);
        Add("delimiter", options.Delimiter);

        using var client = new BenchClient(target.BaseUrl, options.TimeLimit, 1);
        var table = new Table("upload", "status", "rows", "seconds", "MB/s", "rows/s", "RSS before MB", "peak RSS MB", "peak RSS / file");
        var errors = 0;
        var resettable = target.ServerPid is { } first && ProcStats.ResetPeak(first);
        for (var i = 0; i < options.Repeat; i++)
        {
            long? before = null, peak = null;
            Measured answer;
            if (target.ServerPid is { } pid)
            {
                before = ProcStats.RssKb(pid);
                ProcStats.ResetPeak(pid);
                var sampler = new RssSampler(pid);
                await using (sampler.ConfigureAwait(false))
                {
                    answer = await client.SendAsync(HttpMethod.Post, query.ToString(), BenchClient.File(options.File, "text/csv"), keepBody: true, cancellationToken);
                }
                peak = resettable ? ProcStats.PeakRssKb(pid) : sampler.MaxKb;
            }
            else
            {
                answer = await client.SendAsync(HttpMethod.Post, query.ToString(), BenchClient.File(options.File, "text/csv"), keepBody: true, cancellationToken);
            }
            var rows = answer.Success ? RowCount(answer.Body!) : null;
            if (!answer.Success)
            {
                errors++;
                output.WriteLine($"upload {i + 1} failed: {answer.Describe()}");
            }
            var seconds = answer.Elapsed.TotalSeconds;
            table.Add((i + 1).ToString(CultureInfo.InvariantCulture), answer.Failure is null ? ((int)answer.Status).ToString(CultureInfo.InvariantCulture) : "failed",
                rows?.ToString("N0", CultureInfo.InvariantCulture) ?? "?", seconds.ToString("0.000", CultureInfo.InvariantCulture),
                (bytes / 1048576.0 / seconds).ToString("0.0", CultureInfo.InvariantCulture),
                rows is { } r ? (r / seconds).ToString("N0", CultureInfo.InvariantCulture) : "?",
                Format.Mb(before).Replace(" MB", "", StringComparison.Ordinal), Format.Mb(peak).Replace(" MB", "", StringComparison.Ordinal),
                peak is { } pk ? Format.Ratio(pk * 1024.0 / bytes) : "?");
        }
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        if (!resettable && target.ServerPid is not null)
        {
            output.WriteLine("note: VmHWM could not be reset; the peak RSS is sampled every 10 ms");
        }
        if (target.ServerPid is not null)
        {
            output.WriteLine(target.Report().ToString() + " — VmHWM is since the last reset");
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        if (errors > 0)
        {
            Workflow.PrintServerLog(target, output);
            return ExitCodes.Errors;
        }
        return 0;
    }

    private static long? RowCount(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("data").GetProperty("row_count").GetInt64();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// A CSV of any size with the mix of /tmp/gen_csv.py: 10 columns (integer id, text with quotes, commas and line
/// breaks, floats, booleans, dates, ISO timestamps, integers with NULLs), deterministic for a seed.
/// </summary>
public static class CsvGenerator
{
    private static readonly string[] Words = ["alpha", "beta", "Gamma", "delta", "Москва", "Zürich", "São Paulo", "naïve", "o'hare", "x"];
    private static readonly string[] Booleans = ["true", "false", "TRUE"];

    public static void Write(string path, long rows, int seed)
    {
        var random = new Random(seed);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.NewLine = "\n";
        writer.Write("id,name,city,latitude,longitude,active,founded,updated_at,count,note\n");
        var epoch = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        string Word() => Words[random.Next(Words.Length)];
        for (long i = 1; i <= rows; i++)
        {
            var name = $"{Word()} {Word()} {i}";
            var city = Word();
            if (i % 7 == 0)
            {
                city = $"\"{city}, \"\"Old\"\" town\"";
            }
            var latitude = (random.NextDouble() * 180 - 90).ToString("F6", CultureInfo.InvariantCulture);
            var longitude = (random.NextDouble() * 360 - 180).ToString("F9", CultureInfo.InvariantCulture);
            var active = Booleans[random.Next(Booleans.Length)];
            var founded = epoch.AddDays(random.Next(-20000, 2001)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var updated = epoch.AddSeconds(random.Next(0, 100_000_001)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var count = i % 11 == 0 ? "" : random.NextInt64(-1_000_000, 1_000_000_001).ToString(CultureInfo.InvariantCulture);
            var note = i % 13 == 0 ? $"\"line one\nline two, {i}\"" : Word() + " note";
            writer.Write(i.ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(name);
            writer.Write(',');
            writer.Write(city);
            writer.Write(',');
            writer.Write(latitude);
            writer.Write(',');
            writer.Write(longitude);
            writer.Write(',');
            writer.Write(active);
            writer.Write(',');
            writer.Write(founded);
            writer.Write(',');
            writer.Write(updated);
            writer.Write(',');
            writer.Write(count);
            writer.Write(',');
            writer.Write(note);
            writer.Write('\n');
        }
    }
}
