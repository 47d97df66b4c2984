using System.Globalization;

namespace Analyzer.Bench;

public sealed record WrkOptions(int Citizens, int Relations, long Seed, string Endpoint, int Threads, int Connections, TimeSpan Duration, TimeSpan Warmup);

/// <summary>
/// Stores one import, then runs wrk (the Debian package) against one of its GET endpoints for a fixed time and
/// prints wrk's report with the server's CPU and memory. wrk is bounded by its -d duration; the bench adds a margin.
/// </summary>
public static class Wrk
{
    public static readonly string[] Endpoints = ["birthdays", "percentiles", "citizens", "courses", "demand"];

    public static async Task<int> RunAsync(Target target, WrkOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var wrk = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists)
            ?? throw new BenchException("wrk is not installed (apt-get install -y wrk)");
        output.WriteLine($"wrk: -t{options.Threads} -c{options.Connections} -d{options.Duration.TotalSeconds:0}s on GET {options.Endpoint} of a {options.Citizens}-citizen import ({options.Relations} pairs, seed {options.Seed})"
            + (options.Warmup > TimeSpan.Zero ? $", after an unreported {options.Warmup.TotalSeconds:0}-second run of the same" : ""));
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} before the run");

        using var client = new BenchClient(target.BaseUrl, TimeSpan.FromMinutes(2), 1);
        var import = GeneratedImport.Create(new ImportSpec(options.Citizens, options.Relations, options.Seed));
        var post = await client.SendAsync(HttpMethod.Post, "/imports", BenchClient.Json(import.ToJson()), keepBody: true, cancellationToken);
        if (!post.Success || Scale.ImportId(post.Body!) is not { } importId)
        {
            output.WriteLine($"POST /imports failed: {post.Describe()}");
            return ExitCodes.Errors;
        }
        var path = options.Endpoint switch
        {
            "citizens" => $"/imports/{importId}/citizens",
            "percentiles" => $"/imports/{importId}/towns/stat/percentile/age",
            "courses" => $"/imports/{importId}/citizens/courses",
            "demand" => $"/imports/{importId}/stat/demand",
            _ => $"/imports/{importId}/citizens/birthdays",
        };
        var url = new Uri(target.BaseUrl, path);
        // Warm the endpoint up (tiered JIT with dynamic PGO fully optimises a method after ~60 calls) before wrk measures it.
        for (var i = 0; i < 200; i++)
        {
            var answer = await client.SendAsync(HttpMethod.Get, path, null, keepBody: false, cancellationToken);
            if (!answer.Success)
            {
                output.WriteLine($"GET {path} failed: {answer.Describe()}");
                return ExitCodes.Errors;
            }
        }
        if (options.Warmup > TimeSpan.Zero)
        {
            await Processes.RunAsync(wrk, WrkArguments(options, options.Warmup, url), options.Warmup + TimeSpan.FromSeconds(30), cancellationToken);
        }
        var serverCpu = target.ServerPid is { } pid ? ProcStats.CpuSeconds(pid) : null;
        var postgresCpu = target.Postgres?.PostmasterPid is { } pg ? ProcStats.TreeCpuSeconds(pg) : null;
        if (target.ServerPid is { } p)
        {
            ProcStats.ResetPeak(p);
        }
        var report = await Processes.RunAsync(wrk, WrkArguments(options, options.Duration, url), options.Duration + TimeSpan.FromSeconds(30), cancellationToken);
        output.WriteLine();
        output.WriteLine($"$ wrk -t{options.Threads} -c{options.Connections} -d{(int)Math.Ceiling(options.Duration.TotalSeconds)}s --timeout 10s --latency {url}");
        output.Write(report);
        output.WriteLine();
        var cpu = "CPU during wrk:";
        if (target.ServerPid is { } serverPid && serverCpu is { } before)
        {
            cpu += $" server {ProcStats.CpuSeconds(serverPid) - before:0.00} s";
        }
        if (target.Postgres?.PostmasterPid is { } postmaster && postgresCpu is { } pgBefore)
        {
            cpu += $", postgres {ProcStats.TreeCpuSeconds(postmaster) - pgBefore:0.00} s";
        }
        output.WriteLine(cpu + $" (of {options.Duration.TotalSeconds * Environment.ProcessorCount:0} core-seconds; wrk itself uses some)");
        if (target.ServerPid is not null)
        {
            output.WriteLine(target.Report().ToString() + " — VmHWM is since wrk started");
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        var non2xx = report.Contains("Non-2xx", StringComparison.Ordinal) || report.Contains("Socket errors", StringComparison.Ordinal);
        return non2xx ? ExitCodes.Errors : 0;
    }

    private static string[] WrkArguments(WrkOptions options, TimeSpan duration, Uri url) =>
        ["-t", options.Threads.ToString(CultureInfo.InvariantCulture), "-c", options.Connections.ToString(CultureInfo.InvariantCulture),
         "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s", "--timeout", "10s", "--latency", url.ToString()];
}
