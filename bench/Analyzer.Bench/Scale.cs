using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Analyzer.Bench;

public sealed record ScaleOptions(IReadOnlyList<int> Sizes, int Repeat, long Seed, int TextLength, int Warmup, TimeSpan TimeLimit, bool Analyze = false);

/// <summary>
/// One import of each size (relations = size / 10), generated streaming into a file and sent from it with its
/// Content-Length; then each endpoint a few times (medians), the server's peak RSS during the POST and its RSS
/// around the streaming GET of the citizens; a table and how each time grows against the smallest size.
/// </summary>
public static class Scale
{
    private sealed record Row(
        int Size, long BodyBytes, double Post, double Citizens, double Patch, double Birthdays, double Percentiles,
        long CitizensBytes, long? PeakRssPostKb, long? RssBeforeGetKb, long? MaxRssGetKb, long? RssAfterGetKb, int Errors);

    public static async Task<int> RunAsync(Target target, ScaleOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"scale: sizes {string.Join(", ", options.Sizes)} (relations = size / 10), {options.Repeat} timing(s) of each endpoint (of the POST below 1,000,000), {options.Warmup} warm-up workflow(s), "
            + $"seed {options.Seed}{(options.TextLength > 0 ? $", strings of {options.TextLength} characters" : "")}, time limit {options.TimeLimit.TotalMinutes:0} min");
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} before the run");
        var pid = target.ServerPid;
        if (pid is { } p && !ProcStats.ResetPeak(p))
        {
            output.WriteLine("note: cannot reset the server's VmHWM (/proc/PID/clear_refs): each peak is the peak so far");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.TimeLimit);
        using var client = new BenchClient(target.BaseUrl, options.TimeLimit, 1);
        var rows = new List<Row>();
        var timedOut = false;
        try
        {
            // Unmeasured workflows first, so that the first rows do not measure the server's warm-up: of the largest
            // size up to 10,000 citizens (after warming up on 1,000-citizen imports only, the first 10,000-citizen
            // POSTs and GETs were still 2-3x slower than the steady state).
            var warmSize = options.Sizes.Where(s => s <= 10_000).DefaultIfEmpty(Math.Min(options.Sizes.Min(), 10_000)).Max();
            if (await Workflow.WarmUpAsync(client, options.Warmup, warmSize, warmSize / 10, options.TextLength, options.Seed, deadline.Token) is { } problem)
            {
                output.WriteLine($"warm-up failed: {problem}");
                Workflow.PrintServerLog(target, output);
                return ExitCodes.Errors;
            }
            if (options.Analyze)
            {
                // A long-lived database as autovacuum leaves it: statistics that know every import so far (the
                // warm-up's), none that knows the imports measured next.
                if (target.Postgres is not { } cluster)
                {
                    throw new BenchException("--analyze needs --start postgres");
                }
                await cluster.PsqlAsync(PgCluster.Database, "ANALYZE", TimeSpan.FromMinutes(5), deadline.Token);
                output.WriteLine($"ANALYZE run after the {options.Warmup} warm-up workflows' imports; the imports measured below are newer than the statistics");
            }
            foreach (var size in options.Sizes)
            {
                var row = await MeasureAsync(target, client, size, options, output, deadline.Token);
                rows.Add(row);
                output.WriteLine($"  {size}: POST {Format.Ms(row.Post)} ms, GET citizens {Format.Ms(row.Citizens)} ms, PATCH {Format.Ms(row.Patch)} ms, "
                    + $"birthdays {Format.Ms(row.Birthdays)} ms, percentiles {Format.Ms(row.Percentiles)} ms, peak RSS {Format.Mb(row.PeakRssPostKb)}"
                    + (row.Errors > 0 ? $", {row.Errors} error(s)" : ""));
                output.Flush();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            output.WriteLine($"stopped by the time limit ({options.TimeLimit.TotalMinutes:0} min) after {rows.Count} size(s)");
        }

        output.WriteLine();
        var table = new Table("citizens", "body MB", "POST ms", "GET citizens ms", "PATCH ms", "birthdays ms", "percentiles ms",
            "citizens answer MB", "peak RSS in POST MB", "peak RSS / body", "RSS before GET MB", "max RSS in GET MB", "RSS after GET MB", "GET RSS rise MB");
        foreach (var r in rows)
        {
            table.Add(r.Size.ToString("N0", CultureInfo.InvariantCulture), Format.MbOfBytes(r.BodyBytes), Format.Ms(r.Post), Format.Ms(r.Citizens),
                Format.Ms(r.Patch), Format.Ms(r.Birthdays), Format.Ms(r.Percentiles), Format.MbOfBytes(r.CitizensBytes),
                Kb(r.PeakRssPostKb), r.PeakRssPostKb is { } peak ? Format.Ratio(peak * 1024.0 / r.BodyBytes) : "?",
                Kb(r.RssBeforeGetKb), Kb(r.MaxRssGetKb), Kb(r.RssAfterGetKb), r.MaxRssGetKb is { } max && r.RssBeforeGetKb is { } before ? Kb(max - before) : "?");
        }
        output.Write(table);

        if (rows.Count > 1)
        {
            var smallest = rows.MinBy(r => r.Size)!;
            output.WriteLine();
            output.WriteLine($"growth against {smallest.Size:N0} citizens (linear growth is the size ratio):");
            var growth = new Table("citizens", "size ratio", "POST", "GET citizens", "PATCH", "birthdays", "percentiles");
            foreach (var r in rows)
            {
                growth.Add(r.Size.ToString("N0", CultureInfo.InvariantCulture), Format.Ratio((double)r.Size / smallest.Size),
                    Format.Ratio(r.Post / smallest.Post), Format.Ratio(r.Citizens / smallest.Citizens), Format.Ratio(r.Patch / smallest.Patch),
                    Format.Ratio(r.Birthdays / smallest.Birthdays), Format.Ratio(r.Percentiles / smallest.Percentiles));
            }
            output.Write(growth);
            var tenK = rows.FirstOrDefault(r => r.Size == 10_000);
            var million = rows.FirstOrDefault(r => r.Size == 1_000_000);
            if (tenK is not null && million is not null)
            {
                output.WriteLine();
                output.WriteLine("1,000,000 against 10,000 (target: at most ~120× for every endpoint): "
                    + $"POST {Format.Ratio(million.Post / tenK.Post)}, GET citizens {Format.Ratio(million.Citizens / tenK.Citizens)}, "
                    + $"PATCH {Format.Ratio(million.Patch / tenK.Patch)}, birthdays {Format.Ratio(million.Birthdays / tenK.Birthdays)}, "
                    + $"percentiles {Format.Ratio(million.Percentiles / tenK.Percentiles)}");
            }
        }
        output.WriteLine();
        if (pid is not null)
        {
            output.WriteLine(target.Report().ToString() + " — VmHWM is since the last reset");
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        var errors = rows.Sum(r => r.Errors);
        if (errors > 0)
        {
            Workflow.PrintServerLog(target, output);
            return ExitCodes.Errors;
        }
        return timedOut ? ExitCodes.TimeLimit : 0;
    }

    private static string Kb(long? kb) => kb is { } k ? (k / 1024.0).ToString("0", CultureInfo.InvariantCulture) : "?";

    private static async Task<Row> MeasureAsync(Target target, BenchClient client, int size, ScaleOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var pid = target.ServerPid;
        var errors = 0;
        var import = GeneratedImport.Create(new ImportSpec(size, size / 10, options.Seed, options.TextLength));
        var file = Path.Combine(target.ScratchDirectory, $"analyzer-bench-import-{size}-{Environment.ProcessId}.json");
        var generation = Stopwatch.StartNew();
        await using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            import.WriteJson(stream);
        }
        var bodyBytes = new FileInfo(file).Length;
        output.WriteLine($"  {size}: body {Format.MbOfBytes(bodyBytes)} MB generated into {file} in {generation.Elapsed.TotalSeconds:0.0} s");

        // The POST is repeated like the GETs below 1,000,000 citizens (each makes a new import; the last is used),
        // and timed once from there. The peak RSS is over all of them.
        var posts = size < 1_000_000 ? options.Repeat : 1;
        var postTimes = new List<double>();
        Measured post;
        long? peakPost;
        try
        {
            if (pid is { } p)
            {
                ProcStats.ResetPeak(p);
            }
            do
            {
                post = await client.SendAsync(HttpMethod.Post, "/imports", BenchClient.File(file, "application/json"), keepBody: true, cancellationToken);
                postTimes.Add(post.Milliseconds);
            }
            while (post.Success && postTimes.Count < posts);
            peakPost = pid is { } p2 ? ProcStats.PeakRssKb(p2) : null;
        }
        finally
        {
            File.Delete(file);
        }
        if (!post.Success || ImportId(post.Body!) is not { } importId)
        {
            output.WriteLine($"  {size}: POST /imports failed: {post.Describe()}");
            return new Row(size, bodyBytes, post.Milliseconds, double.NaN, double.NaN, double.NaN, double.NaN, 0, peakPost, null, null, null, 1);
        }

        var prefix = $"/imports/{importId}";
        var citizens = new List<double>();
        long citizensBytes = 0;
        long? rssBefore = null, rssMax = null, rssAfter = null;
        for (var i = 0; i < options.Repeat; i++)
        {
            Measured answer;
            if (i == 0 && pid is { } p)
            {
                rssBefore = ProcStats.RssKb(p);
                var sampler = new RssSampler(p);
                await using (sampler.ConfigureAwait(false))
                {
                    answer = await client.SendAsync(HttpMethod.Get, prefix + "/citizens", null, keepBody: false, cancellationToken);
                }
                rssMax = sampler.MaxKb;
                rssAfter = ProcStats.RssKb(p);
            }
            else
            {
                answer = await client.SendAsync(HttpMethod.Get, prefix + "/citizens", null, keepBody: false, cancellationToken);
            }
            errors += Count(answer, "GET citizens", output);
            citizens.Add(answer.Milliseconds);
            citizensBytes = answer.Bytes;
        }
        var patch = new List<double>();
        for (var i = 0; i < options.Repeat; i++)
        {
            var answer = await client.SendAsync(HttpMethod.Patch, prefix + "/citizens/1", BenchClient.Json(import.PatchRelativesBody(i)), keepBody: false, cancellationToken);
            errors += Count(answer, "PATCH", output);
            patch.Add(answer.Milliseconds);
        }
        async Task<double> TimeGetAsync(string path)
        {
            var times = new List<double>();
            for (var i = 0; i < options.Repeat; i++)
            {
                var answer = await client.SendAsync(HttpMethod.Get, prefix + path, null, keepBody: false, cancellationToken);
                errors += Count(answer, "GET " + path, output);
                times.Add(answer.Milliseconds);
            }
            return LatencySummary.MedianOf(times);
        }
        var birthdays = await TimeGetAsync("/citizens/birthdays");
        var percentiles = await TimeGetAsync("/towns/stat/percentile/age");
        return new Row(size, bodyBytes, LatencySummary.MedianOf(postTimes), LatencySummary.MedianOf(citizens), LatencySummary.MedianOf(patch), birthdays, percentiles,
            citizensBytes, peakPost, rssBefore, rssMax, rssAfter, errors);
    }

    private static int Count(Measured answer, string what, TextWriter output)
    {
        if (answer.Success)
        {
            return 0;
        }
        output.WriteLine($"  {what} failed: {answer.Describe()}");
        return 1;
    }

    internal static long? ImportId(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
