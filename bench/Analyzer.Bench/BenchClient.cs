using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Analyzer.Bench;

/// <summary>One request as measured: from just before it was sent to the last byte of the answer's body read.</summary>
public sealed record Measured(HttpStatusCode Status, TimeSpan Elapsed, long Bytes, byte[]? Body, string? Failure)
{
    public bool Success => Failure is null && (int)Status is >= 200 and < 300;

    public double Milliseconds => Elapsed.TotalMilliseconds;

    public string Describe() => Failure ?? $"{(int)Status} {Truncate(Body is null ? "" : Encoding.UTF8.GetString(Body))}";

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

/// <summary>One <see cref="HttpClient"/> over a <see cref="SocketsHttpHandler"/> for the whole run, to one base URL.</summary>
public sealed class BenchClient : IDisposable
{
    private const int KeptErrorBytes = 4096;

    private readonly HttpClient client;

    public BenchClient(Uri baseUrl, TimeSpan timeout, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        client = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = timeout };
    }

    public static HttpContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A file sent as it is read, with its Content-Length, never held in memory.</summary>
    public static HttpContent File(string path, string mediaType)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var content = new StreamContent(stream, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        content.Headers.ContentLength = stream.Length;
        return content;
    }

    /// <summary>
    /// Sends a request and reads the whole answer. The body is kept when <paramref name="keepBody"/> (and the first
    /// 4 KiB of any failed answer); otherwise it is only counted. Transport failures and time-outs are answers with
    /// <see cref="Measured.Failure"/> set; <paramref name="cancellationToken"/> cancelling still throws.
    /// </summary>
    public async Task<Measured> SendAsync(HttpMethod method, string path, HttpContent? content, bool keepBody, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var keep = keepBody || !response.IsSuccessStatusCode;
            using var kept = keep ? new MemoryStream() : null;
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            long bytes = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                bytes += read;
                if (kept is not null && (keepBody || kept.Length < KeptErrorBytes))
                {
                    kept.Write(buffer, 0, read);
                }
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            return new Measured(response.StatusCode, elapsed, bytes, kept?.ToArray(), null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException
            || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new Measured(0, Stopwatch.GetElapsedTime(started), 0, null, $"{method} {path}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => client.Dispose();
}
