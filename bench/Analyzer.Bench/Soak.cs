using System.Diagnostics;
using System.Globalization;

namespace Analyzer.Bench;

public sealed record SoakOptions(TimeSpan Duration, int Clients, int Citizens, int Relations, long Seed, int Warmup, TimeSpan SampleEvery);

/// <summary>One sample of a soak: when, how many workflows had completed, the server's RSS and PostgreSQL's connections.</summary>
public sealed record SoakSample(TimeSpan Elapsed, int Workflows, long? RssKb, int? PostgresConnections);

/// <summary>
/// The soak: <c>clients</c> clients run the workflow (<see cref="Workflow"/>: POST an import, read it, PATCH, the four
/// analytics) over and over, each round then deleting its import so that the database stays the same size, for the
/// given time. Every request must succeed; the server's RSS and PostgreSQL's connection count are sampled on the way,
/// and their trend tells whether anything accumulates: RSS as a least-squares slope in MB per minute, connections as
/// their range. The last line (<c>soak-result: ...</c>) is for scripts and the test that runs the soak in CI.
/// </summary>
public static class Soak
{
    private const string DeleteStep = "DELETE /imports/{id}";

    public static async Task<int> RunAsync(Target target, SoakOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"soak: {options.Duration.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)} min, {options.Clients} clients, "
            + $"imports of {options.Citizens} citizens / {options.Relations} pairs with friends and channels, each deleted after its workflow; "
            + $"samples every {options.SampleEvery.TotalSeconds:0} s");
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} (1/5/15 min) before the run");

        using var client = new BenchClient(target.BaseUrl, TimeSpan.FromSeconds(60), options.Clients);
        if (await Workflow.WarmUpAsync(client, options.Warmup, options.Citizens, options.Relations, 0, options.Seed, cancellationToken, links: true) is { } problem)
        {
            output.WriteLine($"warm-up failed: {problem}");
            Workflow.PrintServerLog(target, output);
            return ExitCodes.Errors;
        }

        var stats = Workflow.Steps.Append(DeleteStep).Select(name => new EndpointStats(name)).ToArray();
        var samples = new List<SoakSample>();
        var completed = 0;
        var next = -1;
        var wall = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleAsync(target, options.SampleEvery, wall, () => Volatile.Read(ref completed), samples, stop.Token);
        var clients = Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            while (wall.Elapsed < options.Duration && !cancellationToken.IsCancellationRequested)
            {
                var round = Interlocked.Increment(ref next);
                if (await RunRoundAsync(client, options, round, stats, cancellationToken))
                {
                    Interlocked.Increment(ref completed);
                }
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(clients);
        wall.Stop();
        await stop.CancelAsync();
        await sampler;
        cancellationToken.ThrowIfCancellationRequested();
        samples.Add(await TakeSampleAsync(target, wall.Elapsed, completed, CancellationToken.None));

        var errors = stats.Sum(s => s.Errors);
        Print(output, options, target, stats, samples, completed, next + 1, errors, wall.Elapsed);
        if (errors > 0)
        {
            Workflow.PrintServerLog(target, output);
            return ExitCodes.Errors;
        }
        return 0;
    }

    /// <summary>One workflow and the deletion of its import; true when every request succeeded.</summary>
    private static async Task<bool> RunRoundAsync(BenchClient client, SoakOptions options, int round, EndpointStats[] stats, CancellationToken cancellationToken)
    {
        var import = GeneratedImport.Create(new ImportSpec(options.Citizens, options.Relations, options.Seed + round, 0, Links: true));
        var (problem, importId) = await Workflow.RunRoundAsync(client, new Workflow.ImportRound(round, import), import.ToJson(), stats, verify: false, cancellationToken);
        if (importId is not { } id)
        {
            return false;
        }
        var delete = await client.SendAsync(HttpMethod.Delete, $"/imports/{id}", null, keepBody: false, cancellationToken);
        stats[^1].Add(delete);
        return problem is null && delete.Success;
    }

    private static async Task SampleAsync(Target target, TimeSpan every, Stopwatch wall, Func<int> completed, List<SoakSample> samples, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                samples.Add(await TakeSampleAsync(target, wall.Elapsed, completed(), cancellationToken));
                await Task.Delay(every, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or BenchException && cancellationToken.IsCancellationRequested)
        {
            // the soak is over (a psql sample cut short by the end is a BenchException)
        }
    }

    private static async Task<SoakSample> TakeSampleAsync(Target target, TimeSpan elapsed, int completed, CancellationToken cancellationToken) => new(
        elapsed,
        completed,
        target.ServerPid is { } pid ? ProcStats.RssKb(pid) : null,
        target.Postgres is { } postgres ? await postgres.ConnectionsAsync(cancellationToken) : null);

    /// <summary>The least-squares slope of y over x; NaN with fewer than two distinct x.</summary>
    public static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 2)
        {
            return double.NaN;
        }
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return sxx <= 0 ? double.NaN : points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / sxx;
    }

    private static void Print(TextWriter output, SoakOptions options, Target target, EndpointStats[] stats, List<SoakSample> samples,
        int completed, int started, int errors, TimeSpan elapsed)
    {
        var table = new Table("endpoint", "count", "errors", "median ms", "p95 ms", "max ms");
        foreach (var endpoint in stats)
        {
            var s = endpoint.Summary();
            table.Add(endpoint.Name, s.Count.ToString(CultureInfo.InvariantCulture), s.Errors.ToString(CultureInfo.InvariantCulture),
                Format.Ms(s.Median), Format.Ms(s.P95), Format.Ms(s.Max));
        }
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        var sampleTable = new Table("t (s)", "workflows", "RSS MB", "pg connections");
        foreach (var sample in samples)
        {
            sampleTable.Add(sample.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture), sample.Workflows.ToString(CultureInfo.InvariantCulture),
                sample.RssKb is { } kb ? (kb / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) : "?",
                sample.PostgresConnections?.ToString(CultureInfo.InvariantCulture) ?? "–");
        }
        output.Write(sampleTable);
        output.WriteLine();

        var rss = samples.Where(s => s.RssKb is not null).Select(s => (X: s.Elapsed.TotalMinutes, Y: s.RssKb!.Value / 1024.0)).ToList();
        var slope = Slope(rss);
        var connections = samples.Select(s => s.PostgresConnections).OfType<int>().ToList();
        output.WriteLine($"workflows: {completed} completed of {started} started in {elapsed.TotalMinutes.ToString("0.00", CultureInfo.InvariantCulture)} min "
            + $"({options.Clients} clients); requests: {stats.Sum(s => s.Summary().Count)}; errors: {errors}");
        foreach (var failure in stats.SelectMany(s => s.Failures.Select(f => $"  {s.Name}: {f}")).Take(10))
        {
            output.WriteLine(failure);
        }
        if (rss.Count > 0)
        {
            // The first fifth holds the growth to a steady state (pools filling, tiered JIT, the GC sizing its heap):
            // the slope of the rest is the one that tells a leak.
            var settled = Slope([.. rss.Where(p => p.X >= elapsed.TotalMinutes / 5)]);
            output.WriteLine($"server RSS: start {Mb(rss[0].Y)} MB, end {Mb(rss[^1].Y)} MB, max {Mb(rss.Max(p => p.Y))} MB; "
                + $"slope {Signed(slope)} MB/min (least squares over {rss.Count} samples), {Signed(settled)} MB/min after the first fifth of the run");
        }
        if (connections.Count > 0)
        {
            output.WriteLine($"PostgreSQL connections (pg_stat_activity, database {PgCluster.Database}): first {connections[0]}, last {connections[^1]}, "
                + $"min {connections.Min()}, max {connections.Max()} over {connections.Count} samples");
        }
        if (target.ServerPid is not null)
        {
            output.WriteLine(target.Report().ToString());
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak-result: minutes={elapsed.TotalMinutes:0.00} clients={options.Clients} workflows={completed} errors={errors} "
            + $"rss_start_mb={(rss.Count > 0 ? Mb(rss[0].Y) : "?")} rss_end_mb={(rss.Count > 0 ? Mb(rss[^1].Y) : "?")} rss_slope_mb_per_min={Signed(slope)} "
            + $"pg_connections_min={(connections.Count > 0 ? connections.Min() : -1)} pg_connections_max={(connections.Count > 0 ? connections.Max() : -1)}"));
    }

    private static string Mb(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Signed(double value) => double.IsNaN(value) ? "?" : value.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
}
