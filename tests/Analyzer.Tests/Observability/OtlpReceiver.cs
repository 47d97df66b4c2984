using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Analyzer.Tests.Observability;

/// <summary>One request an OTLP/HTTP exporter sent: its path, media type and protobuf body.</summary>
public sealed record OtlpExport(string Path, string? ContentType, byte[] Body);

/// <summary>
/// A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver on a loopback port: it keeps every POST and answers
/// 200 with an empty body (an empty ExportTraceServiceResponse). Nothing leaves the machine.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<OtlpExport> exports = new();
    private readonly Task loop;

    public OtlpReceiver()
    {
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<OtlpExport> Exports => [.. exports];

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            exports.Enqueue(new OtlpExport(context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for an export that <paramref name="matches"/>; null when none came.</summary>
    public async Task<OtlpExport?> WaitForAsync(Func<OtlpExport, bool> matches, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (exports.FirstOrDefault(matches) is { } export)
            {
                return export;
            }
            await Task.Delay(100);
        }
        return exports.FirstOrDefault(matches);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
