using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Analyzer.Bench;

/// <summary>
/// One run of the Release executable for the kill trials (shared by <c>analyzer-bench kill-trials</c> and the
/// Reliability tests, which link this file): a free loopback port, no gRPC, its own spool folder, output kept
/// for the failure message, killed with SIGKILL (<see cref="Process.Kill(bool)"/> sends SIGKILL on Linux).
/// </summary>
public sealed class TrialService : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private readonly Process process;
    private readonly StringBuilder output = new();
    private bool disposed;

    private TrialService(Process process, HttpClient client)
    {
        this.process = process;
        Client = client;
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Client { get; }

    /// <summary>What the process printed (the last 64 KB).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
            if (output.Length > 65_536)
            {
                output.Remove(0, output.Length - 65_536);
            }
        }
    }

    /// <summary>
    /// Starts <c>dotnet <paramref name="dll"/> --db <paramref name="db"/></c> on a free port and waits until <c>/health/ready</c>
    /// answers 200; <paramref name="launcher"/> is a command the service runs under (<c>setpriv ...</c>).
    /// </summary>
    public static async Task<TrialService> StartAsync(string dll, string db, string workingDirectory, CancellationToken cancellationToken,
        IReadOnlyList<string>? extraArguments = null, IReadOnlyList<string>? launcher = null)
    {
        var port = FreePort();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments = [dll, "--db", db, "--api-address", "127.0.0.1", "--api-port", port.ToString(CultureInfo.InvariantCulture),
            "--log-format", "text", "--log-level", "Warning", "--spool-dir", Path.Combine(workingDirectory, "spool"), .. extraArguments ?? []];
        if (launcher is { Count: > 0 })
        {
            arguments = [.. launcher.Skip(1), dotnet, .. arguments];
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment["ANALYZER_GRPC_PORT"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {dotnet} {dll}");
        process.StandardInput.Close();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var service = new TrialService(process, client);
        try
        {
            await service.WaitUntilReadyAsync(cancellationToken);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        // Generous: on a loaded machine the runtime alone can take tens of seconds to start.
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < ReadyTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the service exited ({process.ExitCode}) before /health/ready answered 200:\n{Output}");
            }
            try
            {
                using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"/health/ready did not answer 200 within {ReadyTimeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>kill -9: the process gets no chance to finish anything.</summary>
    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it had ended already
        }
        process.WaitForExit(10_000);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return ValueTask.CompletedTask;
        }
        disposed = true;
        Kill();
        Client.Dispose();
        process.Dispose();
        return ValueTask.CompletedTask;
    }
}
