using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Analyzer.Bench;

public sealed record FloorsOptions(int Citizens, int Relations, long Seed, int TextLength, int Repeat, int Warmup, string? PgUrl, TimeSpan TimeLimit);

/// <summary>
/// The two floors under POST /imports, measured on the same body and the same PostgreSQL as the POST itself:
/// (a) only parsing the body (System.Text.Json <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>),
/// (b) PostgreSQL loading the same rows from a file with psql's <c>\copy ... csv</c> into a scratch copy of the
/// citizens table (relatives on the row, migration 0007), in one transaction. Then the POST's median over (a) + (b).
/// </summary>
public static partial class Floors
{
    public static async Task<int> RunAsync(Target target, FloorsOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        Func<string, bool, Task<string>> psql;
        if (target.Postgres is { } cluster)
        {
            psql = (sql, isFile) => cluster.PsqlAsync(PgCluster.Database, sql, TimeSpan.FromMinutes(5), cancellationToken, isFile);
        }
        else if (options.PgUrl is { } url)
        {
            psql = (sql, isFile) => Processes.RunAsync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, isFile ? "-f" : "-c", sql], TimeSpan.FromMinutes(5), cancellationToken);
        }
        else
        {
            throw new BenchException("floors needs PostgreSQL: --start postgres, or --base-url with --pg-url of that service's database");
        }

        output.WriteLine($"floors: {options.Citizens} citizens / {options.Relations} pairs, seed {options.Seed}"
            + (options.TextLength > 0 ? $", strings of {options.TextLength} characters" : "") + $", {options.Repeat} repetitions each (medians), {options.Warmup} unmeasured POSTs first");
        output.WriteLine($"target: {target.Description}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} before the run");
        var import = GeneratedImport.Create(new ImportSpec(options.Citizens, options.Relations, options.Seed, options.TextLength));
        var body = import.ToJson();
        output.WriteLine($"body: {Format.Bytes(body.Length)}");

        // (a) parse only. It takes milliseconds: warm it up well past tiered JIT's thresholds (as in a running
        // server) and time more runs than --repeat.
        var parse = new List<double>();
        for (var i = -100; i < Math.Max(options.Repeat, 50); i++)
        {
            var started = Stopwatch.GetTimestamp();
            JsonDocument.Parse(body).Dispose();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (i >= 0)
            {
                parse.Add(elapsed);
            }
        }

        // (b) COPY from files with psql, into scratch tables shaped like the service's (keys, checks, indexes, foreign keys).
        var scratch = Directory.CreateTempSubdirectory("analyzer-bench-floors-").FullName;
        var copy = new List<double>();
        var copyWall = new List<double>();
        var statementTimes = new List<double>[3];
        for (var i = 0; i < statementTimes.Length; i++)
        {
            statementTimes[i] = [];
        }
        try
        {
            var citizensCsv = Path.Combine(scratch, "citizens.csv");
            await using (var citizens = new StreamWriter(citizensCsv, false, new UTF8Encoding(false)))
            {
                import.WriteCopyCsv(citizens, importId: 1);
            }
            await psql("""
                DROP TABLE IF EXISTS bench_floor_citizens;
                CREATE TABLE bench_floor_citizens (LIKE citizens INCLUDING ALL);
                """, false);
            var script = Path.Combine(scratch, "copy.sql");
            await File.WriteAllTextAsync(script, $"""
                TRUNCATE bench_floor_citizens;
                \timing on
                BEGIN;
                \copy bench_floor_citizens (import_id, citizen_id, town, street, building, apartment, name, birth_date, gender, relatives) from '{citizensCsv}' with (format csv)
                COMMIT;
                """, cancellationToken);
            for (var i = -1; i < options.Repeat; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var printed = await psql(script, true);
                var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var statements = TimingLine().Matches(printed).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
                if (statements.Count != 3)
                {
                    throw new BenchException($"psql printed {statements.Count} timings, not 3 (BEGIN, \\copy, COMMIT): {printed}");
                }
                if (i >= 0)
                {
                    copy.Add(statements.Sum());
                    copyWall.Add(wall);
                    for (var k = 0; k < statements.Count; k++)
                    {
                        statementTimes[k].Add(statements[k]);
                    }
                }
            }
            await psql("DROP TABLE bench_floor_citizens;", false);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        // The POST itself, same body, same server.
        using var client = new BenchClient(target.BaseUrl, options.TimeLimit, 1);
        var post = new List<double>();
        // Unmeasured POSTs first: the server's JIT fully optimises a method after ~60 calls (tiered, dynamic PGO).
        for (var i = -options.Warmup; i < options.Repeat; i++)
        {
            var answer = await client.SendAsync(HttpMethod.Post, "/imports", BenchClient.Json(body), keepBody: true, cancellationToken);
            if (!answer.Success)
            {
                output.WriteLine($"POST /imports failed: {answer.Describe()}");
                Workflow.PrintServerLog(target, output);
                return ExitCodes.Errors;
            }
            if (i >= 0)
            {
                post.Add(answer.Milliseconds);
            }
        }

        var parseMedian = LatencySummary.MedianOf(parse);
        var copyMedian = LatencySummary.MedianOf(copy);
        var postMedian = LatencySummary.MedianOf(post);
        var table = new Table("measure", "median ms", "min ms", "max ms");
        void Row(string name, List<double> values) =>
            table.Add(name, Format.Ms(LatencySummary.MedianOf(values)), Format.Ms(values.Min()), Format.Ms(values.Max()));
        Row("(a) parse only: JsonDocument.Parse of the body", parse);
        Row("(b) psql \\copy citizens (relatives on the row), BEGIN…COMMIT (\\timing sum)", copy);
        Row("    of which BEGIN", statementTimes[0]);
        Row("    of which \\copy citizens", statementTimes[1]);
        Row("    of which COMMIT", statementTimes[2]);
        Row("    the same, psql process wall time (start, connect, exit)", copyWall);
        table.Add("floor = (a) + (b)", Format.Ms(parseMedian + copyMedian), "", "");
        Row("POST /imports (same body, same server)", post);
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        output.WriteLine($"POST / floor = {Format.Ms(postMedian)} / ({Format.Ms(parseMedian)} + {Format.Ms(copyMedian)}) = {Format.Ratio(postMedian / (parseMedian + copyMedian))}");
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        return 0;
    }

    [GeneratedRegex(@"^Time: ([0-9]+(?:\.[0-9]+)?) ms", RegexOptions.Multiline)]
    private static partial Regex TimingLine();
}
