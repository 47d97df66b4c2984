using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Analyzer.Web;

/// <summary>
/// Gives every request an id (the client's <c>X-Request-Id</c> when it is at most 128 characters of
/// <c>[A-Za-z0-9._-]</c>, else a new one), returns it in the response, puts it in every log line of the
/// request, and writes one access-log line per request. The request's trace (W3C trace id, the one exported over OTLP
/// when <c>--otlp-endpoint</c> is set) and its request id point at each other: every log line of the request carries
/// <c>trace_id</c> next to <c>request_id</c>, and the request's span carries the attribute <c>request_id</c>.
/// </summary>
public static partial class RequestLogging
{
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>The log scope's key and the span attribute of the request id.</summary>
    public const string RequestIdKey = "request_id";

    /// <summary>The log scope's key of the trace id (32 hex digits).</summary>
    public const string TraceIdKey = "trace_id";

    public static bool IsAcceptableRequestId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Analyzer.Access");
        return app.Use(async (context, next) =>
        {
            var offered = context.Request.Headers[RequestIdHeader].ToString();
            var requestId = IsAcceptableRequestId(offered) ? offered : Guid.CreateVersion7().ToString("N");
            context.TraceIdentifier = requestId;
            context.Response.Headers[RequestIdHeader] = requestId;
            var activity = Activity.Current;
            activity?.SetTag(RequestIdKey, requestId);

            var body = new CountingResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>());
            context.Features.Set<IHttpResponseBodyFeature>(body);
            var started = Stopwatch.GetTimestamp();
            using (logger.BeginScope(new RequestIdScope(requestId, activity?.TraceId.ToHexString())))
            {
                try
                {
                    await next(context);
                }
                finally
                {
                    var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value;
                    LogRequest(logger, context.Request.Method, route, context.Response.StatusCode,
                        Stopwatch.GetElapsedTime(started).TotalMilliseconds, body.BytesWritten, requestId);
                    context.Features.Set(body.Inner);
                }
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Route} {StatusCode} {DurationMs:0.0} ms {ResponseBytes} bytes {RequestId}")]
    private static partial void LogRequest(ILogger logger, string method, string? route, int statusCode, double durationMs, long responseBytes, string requestId);

    /// <summary>
    /// The log scope of a request: <c>request_id</c> and <c>trace_id</c> in JSON logs, <c>request_id:... trace_id:...</c> in
    /// text logs (no trace id when the host created no activity for the request).
    /// </summary>
    private sealed class RequestIdScope(string requestId, string? traceId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => traceId is null ? 1 : 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new(RequestIdKey, requestId),
            1 when traceId is not null => new(TraceIdKey, traceId),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => traceId is null ? $"request_id:{requestId}" : $"request_id:{requestId} trace_id:{traceId}";
    }

    /// <summary>Counts the bytes of the response body, whether it is written as a stream or through the pipe.</summary>
    private sealed class CountingResponseBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
    {
        private CountingPipeWriter? writer;
        private CountingStream? stream;

        public IHttpResponseBodyFeature Inner => inner;

        public long BytesWritten => (writer?.Count ?? 0) + (stream?.Count ?? 0);

        public Stream Stream => stream ??= new CountingStream(inner.Stream);

        public PipeWriter Writer => writer ??= new CountingPipeWriter(inner.Writer);

        public void DisableBuffering() => inner.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            inner.SendFileAsync(path, offset, count, cancellationToken);

        public Task CompleteAsync() => inner.CompleteAsync();
    }

    private sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
    {
        public long Count { get; private set; }

        public override void Advance(int bytes)
        {
            Count += bytes;
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Count += source.Length;
            return inner.WriteAsync(source, cancellationToken);
        }

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Count += count;
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count += buffer.Length;
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
