using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Docs;

/// <summary>
/// Every command of the README's fenced <c>sh</c> blocks, run as written, in order, by bash in a folder that holds
/// the repository's <c>examples/</c> (as a fresh clone does), against the real executable on a free port: each must
/// exit 0, and each <c>curl</c> must get a 2xx answer. The few commands that cannot run here are listed in
/// <see cref="NotRun"/> with the reason, and the test prints them.
/// </summary>
/// <remarks>
/// What the script changes, and nothing else: <c>localhost:8080</c> becomes <c>localhost:PORT</c>; <c>dotnet run
/// --project src/Analyzer -- ARGS</c> runs the built executable (<c>dotnet analyzer.dll ARGS</c>), and when ARGS is
/// no command (<c>serve</c>) the service is started in the background on PORT and waited for (a later serve command,
/// like the one with <c>--auth-secret-file</c>, replaces it, as restarting it by hand would); <c>curl</c> gets
/// <c>--fail-with-body</c> and reports the status of each answer.
/// </remarks>
public sealed partial class ReadmeExamplesTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Commands (by how they start) that this test does not run, and why.</summary>
    private static readonly (string Prefix, string Reason)[] NotRun =
    [
        ("dotnet test", "this test runs inside `dotnet test`: running it again would recurse"),
        ("dotnet run --project src/Analyzer -- --db postgresql://",
            "its URL names a placeholder server (db.example); every API test class also runs on a real PostgreSQL (the *Postgres* classes)"),
        ("dotnet build -c Release src/Analyzer", "benchmark set-up: the benchmarks take minutes and assert no time (docs/benchmarks.md)"),
        ("dotnet run -c Release --project bench/", "a benchmark: minutes of load (docs/benchmarks.md); `dotnet build` compiles it"),
        ("bench/run-all.sh", "every benchmark on both back ends: far longer than a test (docs/benchmarks.md)"),
    ];

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-readme-");

    public void Dispose()
    {
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Analyzer.slnx")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException("no Analyzer.slnx above the test assembly");
    }

    [GeneratedRegex(@"^```sh\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    /// <summary>The commands of a block: comment and blank lines dropped; a command goes on while a line ends with \ or a quote is open.</summary>
    internal static IEnumerable<string> Commands(string block)
    {
        var command = new StringBuilder();
        char? quote = null;
        foreach (var line in block.Split('\n'))
        {
            if (command.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0))
            {
                continue;
            }
            command.Append(line).Append('\n');
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quote is null && c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                {
                    break; // a comment to the end of the line
                }
                if (c == '\\' && quote != '\'')
                {
                    i++;
                }
                else if (quote is null && c is '\'' or '"')
                {
                    quote = c;
                }
                else if (quote == c)
                {
                    quote = null;
                }
            }
            if (quote is null && !line.TrimEnd().EndsWith('\\'))
            {
                yield return command.ToString().TrimEnd();
                command.Clear();
            }
        }
        Assert.True(command.Length == 0, $"a command of the README does not end: {command}");
    }

    private static string Script(IReadOnlyList<string> commands, int port)
    {
        var script = new StringBuilder("""
            set -u
            __serve_pid=""
            __stop() {
              if [ -n "$__serve_pid" ]; then kill -TERM "$__serve_pid" 2>/dev/null; wait "$__serve_pid" 2>/dev/null; __serve_pid=""; fi
            }
            trap __stop EXIT
            # dotnet run --project src/Analyzer [--] ARGS: the built executable; without a command, the service on $README_PORT.
            dotnet() {
              if [ "${1-}" = run ] && [ "${2-}" = --project ] && [ "${3-}" = src/Analyzer ]; then
                shift 3
                if [ "${1-}" = -- ]; then shift; fi
                case "${1-}" in
                  token|db|users) command "$README_DOTNET" "$README_ANALYZER" "$@" ;;
                  *)
                    __stop
                    command "$README_DOTNET" "$README_ANALYZER" "$@" --api-address 127.0.0.1 --api-port "$README_PORT" >>serve.log 2>&1 &
                    __serve_pid=$!
                    for _ in $(seq 300); do
                      if command curl -s -o /dev/null -f "http://127.0.0.1:$README_PORT/health/live"; then return 0; fi
                      if ! kill -0 "$__serve_pid" 2>/dev/null; then echo "the service exited at start (serve.log)" >&2; return 1; fi
                      sleep 0.1
                    done
                    echo "the service did not answer within 30 s" >&2; return 1 ;;
                esac
              else
                echo "not run by this test: dotnet $*" >&2; return 99
              fi
            }
            curl() { command curl --fail-with-body -sS -w '%{stderr}HTTP %{http_code}\n' "$@"; }

            """);
        for (var i = 0; i < commands.Count; i++)
        {
            script.Append(CultureInfo.InvariantCulture, $"echo '<<<{i}>>>' >&2\n{{\n{commands[i].Replace("localhost:8080", $"localhost:{port}", StringComparison.Ordinal)}\n}}\n");
            script.Append(CultureInfo.InvariantCulture, $"__rc=$?; echo \"<<<{i} exit $__rc>>>\" >&2; [ \"$__rc\" -eq 0 ] || exit 100\n");
        }
        return script.ToString();
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var folder in Directory.GetDirectories(from))
        {
            CopyDirectory(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    [Fact]
    public async Task Every_example_command_of_the_readme_runs_against_a_started_service_and_gets_a_2xx()
    {
        var root = RepositoryRoot();
        var readme = await File.ReadAllTextAsync(Path.Combine(root, "README.md"));
        var all = ShellBlock().Matches(readme).SelectMany(block => Commands(block.Groups[1].Value)).ToList();
        Assert.True(all.Count >= 30, $"only {all.Count} commands found in the README's sh blocks");
        var skipped = all.Select(c => (Command: c, NotRun.FirstOrDefault(n => c.StartsWith(n.Prefix, StringComparison.Ordinal)).Reason))
            .Where(c => c.Reason is not null).ToList();
        foreach (var (command, reason) in skipped)
        {
            output.WriteLine($"not run: {command.Split('\n')[0]}\n  because {reason}");
        }
        var commands = all.Where(c => !skipped.Any(s => s.Command == c)).ToList();
        Assert.Contains(commands, c => c.StartsWith("curl", StringComparison.Ordinal));
        Assert.True(commands[0].StartsWith("dotnet run --project src/Analyzer", StringComparison.Ordinal),
            "the first command run must start the service (Quick start): " + commands[0]);

        CopyDirectory(Path.Combine(root, "examples"), Path.Combine(directory.FullName, "examples"));
        var scriptFile = Path.Combine(directory.FullName, "readme.sh");
        var port = AnalyzerProcess.FreePort();
        await File.WriteAllTextAsync(scriptFile, Script(commands, port));

        var start = new ProcessStartInfo("bash", [scriptFile])
        {
            WorkingDirectory = directory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment["ANALYZER_GRPC_PORT"] = "0"; // the fixed default port (8081) would collide with parallel runs
        start.Environment["README_DOTNET"] = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        start.Environment["README_ANALYZER"] = AnalyzerProcess.Executable;
        start.Environment["README_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        using var bash = Process.Start(start)!;
        var standardOutput = bash.StandardOutput.ReadToEndAsync();
        var standardError = bash.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            try
            {
                await bash.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                bash.Kill(entireProcessTree: true);
                await bash.WaitForExitAsync();
            }
        }
        var stderr = await standardError;
        var serveLog = Path.Combine(directory.FullName, "serve.log");
        var story = $"--- stdout ---\n{await standardOutput}\n--- stderr ---\n{stderr}\n--- serve.log ---\n{(File.Exists(serveLog) ? await File.ReadAllTextAsync(serveLog) : "")}";

        for (var i = 0; i < commands.Count; i++)
        {
            var segment = Regex.Match(stderr, $@"<<<{i}>>>\n(.*?)<<<{i} exit (\d+)>>>", RegexOptions.Singleline);
            Assert.True(segment.Success, $"the README's command never finished:\n{commands[i]}\n{story}");
            Assert.True(segment.Groups[2].Value == "0", $"the README's command exited {segment.Groups[2].Value}:\n{commands[i]}\n{story}");
            var statuses = Regex.Matches(segment.Groups[1].Value, @"^HTTP (\d{3})$", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            var curls = Regex.Matches(commands[i], @"(^|[\s(])curl\s").Count;
            Assert.True(statuses.Count == curls, $"{curls} curl command(s) but {statuses.Count} answer(s):\n{commands[i]}\n{story}");
            Assert.True(statuses.All(s => s is >= 200 and < 300), $"answered {string.Join(", ", statuses)}:\n{commands[i]}\n{story}");
        }
        Assert.True(bash.ExitCode == 0, $"bash exited {bash.ExitCode}\n{story}");
        output.WriteLine($"ran {commands.Count} commands of the README; {skipped.Count} not run (above)");
    }
}
