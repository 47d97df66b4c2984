using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Analyzer.Tests.Infrastructure;

/// <summary>What a finished analyzer process printed and returned.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Asserts the one line a refused command prints: "analyzer: ..." and no stack trace anywhere; returns it.</summary>
    public string AssertOneErrorLine()
    {
        var line = Assert.Single(ErrorLines);
        Assert.StartsWith("analyzer:", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", StandardError, StringComparison.Ordinal);
        return line;
    }

    /// <summary>The non-empty lines of stdout.</summary>
    public string[] OutputLines => Lines(StandardOutput);

    /// <summary>The non-empty lines of stderr.</summary>
    public string[] ErrorLines => Lines(StandardError);

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>
/// The real executable, run as <c>dotnet analyzer.dll ...</c> (the Analyzer project's output is copied next to
/// the test assembly): stdout/stderr captured, a bounded wait, the process tree killed on timeout or disposal.
/// ANALYZER_* variables of the test run are not inherited; a test passes the ones it wants.
/// </summary>
public sealed class AnalyzerProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private const int SigTerm = 15;

    private readonly Process process;
    private readonly Task<string> standardOutput;
    private readonly Task<string> standardError;

    private AnalyzerProcess(Process process)
    {
        this.process = process;
        standardOutput = process.StandardOutput.ReadToEndAsync();
        standardError = process.StandardError.ReadToEndAsync();
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "analyzer.dll");

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Starts <c>dotnet analyzer.dll <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>.</summary>
    public static AnalyzerProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params IEnumerable<string> arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Executable);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        // Tests start many services at once: none takes the fixed default gRPC port (8081) unless it asks for a port.
        start.Environment["ANALYZER_GRPC_PORT"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {dotnet} {Executable}");
        process.StandardInput.Close();
        return new AnalyzerProcess(process);
    }

    /// <summary>Runs the executable to its end (killed after <see cref="DefaultTimeout"/>).</summary>
    public static async Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params IEnumerable<string> arguments)
    {
        await using var analyzer = Start(workingDirectory, environment, arguments);
        return await analyzer.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end; on timeout kills its tree and throws <see cref="TimeoutException"/> with its output.</summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using (var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
                throw new TimeoutException($"analyzer (pid {Id}) did not exit within {timeout ?? DefaultTimeout} and was killed.\n{await OutputAfterExitAsync()}");
            }
        }
        return await OutputAfterExitAsync();
    }

    /// <summary>Sends SIGTERM (what a container runtime sends to stop a service) and waits for the process to end.</summary>
    public Task<ProcessResult> TerminateAsync(TimeSpan? timeout = null)
    {
        if (!process.HasExited && SendSignal(Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return WaitForExitAsync(timeout);
    }

    /// <summary>The output of the process, which must have exited.</summary>
    private async Task<ProcessResult> OutputAfterExitAsync() =>
        new(process.HasExited ? process.ExitCode : -1, await standardOutput, await standardError);

    /// <summary>Polls <c>GET /health</c> (up to 100 × 200 ms) until it answers 200; fails early if the process ends.</summary>
    public async Task WaitUntilHealthyAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"analyzer exited before /health answered 200.\n{await OutputAfterExitAsync()}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // the client's timeout: try again
            }
            await Task.Delay(200);
        }
        await KillAsync();
        throw new TimeoutException($"GET /health never answered 200; analyzer was killed.\n{await OutputAfterExitAsync()}");
    }

    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL (the process tree): no shutdown code runs, as when a machine or container dies.</summary>
    public async Task KillAsync()
    {
        if (process.HasExited)
        {
            return;
        }
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it ended in between
        }
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(cancellation.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            process.Dispose();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);
}

/// <summary>A running <c>analyzer [serve]</c> on a free port of 127.0.0.1 that answered <c>GET /health</c>, and a client for it.</summary>
public sealed class AnalyzerServer : IAsyncDisposable
{
    private AnalyzerServer(AnalyzerProcess process, HttpClient client, int port) => (Process, Client, Port) = (process, client, port);

    public AnalyzerProcess Process { get; }

    public HttpClient Client { get; }

    public int Port { get; }

    /// <summary>
    /// Starts the executable with <paramref name="arguments"/> plus <c>--api-address 127.0.0.1 --api-port PORT</c> and
    /// waits until it is healthy; picks another port (up to 3 times) when the one chosen was taken in between.
    /// </summary>
    public static async Task<AnalyzerServer> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params IEnumerable<string> arguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = AnalyzerProcess.FreePort();
            var process = AnalyzerProcess.Start(workingDirectory, environment,
                [.. arguments, "--api-address", "127.0.0.1", "--api-port", port.ToString(CultureInfo.InvariantCulture)]);
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            try
            {
                await process.WaitUntilHealthyAsync(client);
                return new AnalyzerServer(process, client, port);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                client.Dispose();
                await process.DisposeAsync();
            }
            catch
            {
                client.Dispose();
                await process.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>SIGTERM, then the exit code and output.</summary>
    public Task<ProcessResult> TerminateAsync() => Process.TerminateAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Process.DisposeAsync();
    }
}
