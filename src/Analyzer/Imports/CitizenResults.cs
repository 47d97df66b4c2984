using System.Text.Json;
using Analyzer.Web;

namespace Analyzer.Imports;

/// <summary>
/// Writes <c>{"data": [CITIZEN, ...]}</c> or <c>{"data": CITIZEN}</c> straight to the response pipe with a
/// <see cref="Utf8JsonWriter"/>: rows go from the data reader to the client, flushed every few kilobytes,
/// so memory does not grow with the size of the import.
/// </summary>
public sealed partial class CitizenResults : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const int FlushThresholdBytes = 32 * 1024;

    private readonly IAsyncEnumerable<Citizen>? many;
    private readonly Citizen? one;

    private CitizenResults(IAsyncEnumerable<Citizen>? many, Citizen? one) => (this.many, this.one) = (many, one);

    public static CitizenResults List(IAsyncEnumerable<Citizen> citizens) => new(citizens, null);

    public static CitizenResults Single(Citizen citizen) => new(null, citizen);

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => JsonData.ContentType;

    /// <summary>
    /// Writes the answer. The first citizen is read before anything is written, so that a failure there (the
    /// database cannot be reached, say) is still an ordinary problem answer. A failure once the body has begun
    /// cannot become one (the client already has <c>{"data":[...</c>, perhaps flushed): it is logged and the
    /// response aborted, so that the client sees a broken transfer rather than a body that looks whole.
    /// </summary>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        await using var citizens = many?.GetAsyncEnumerator(cancellationToken);
        var more = citizens is not null && await citizens.MoveNextAsync();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        var writer = new Utf8JsonWriter(response.BodyWriter, AnalyzerJsonContext.WriterOptions);
        try
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data"u8);
            if (citizens is null)
            {
                CitizenJson.Write(writer, one!);
            }
            else
            {
                writer.WriteStartArray();
                // The writer hands full buffers to the pipe by itself (BytesPending stays below the pipe's block size),
                // but only a flush sends them and waits while the client is behind: count what was written since.
                long flushedAt = 0;
                for (; more; more = await citizens.MoveNextAsync())
                {
                    CitizenJson.Write(writer, citizens.Current);
                    if (writer.BytesCommitted + writer.BytesPending - flushedAt > FlushThresholdBytes)
                    {
                        await writer.FlushAsync(cancellationToken);
                        await response.BodyWriter.FlushAsync(cancellationToken);
                        flushedAt = writer.BytesCommitted;
                    }
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // What the writer still holds is never handed to the response; the access log shows a 500 when it can.
            writer.Reset();
            LogAborted(httpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<CitizenResults>(), e, httpContext.TraceIdentifier);
            if (!response.HasStarted)
            {
                response.StatusCode = StatusCodes.Status500InternalServerError;
            }
            httpContext.Abort();
        }
        finally
        {
            await writer.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Streaming the citizens failed after the answer had begun; the response was aborted ({RequestId})")]
    private static partial void LogAborted(ILogger logger, Exception exception, string requestId);
}
