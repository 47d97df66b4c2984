using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Analyzer.Web;

/// <summary>A whole JSON request body, held in the request pipe's own buffers (no copy) until disposed.</summary>
public sealed class RequestBody : IDisposable
{
    private readonly PipeReader reader;
    private readonly ReadResult result;

    private RequestBody(PipeReader reader, ReadResult result) => (this.reader, this.result) = (reader, result);

    public ReadOnlySequence<byte> Content => result.Buffer;

    public void Dispose() => reader.AdvanceTo(result.Buffer.End);

    /// <summary>
    /// Reads the body, or answers why not: 415 for a content type other than JSON, 413 for a body over
    /// the configured limit (announced by Content-Length, or found while reading a chunked body).
    /// </summary>
    public static async Task<(RequestBody? Body, ProblemHttpResult? Refusal)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (contentType is not null
            && !(MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
                 && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                     || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
        {
            return (null, Problems.UnsupportedMediaType(contentType));
        }
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                if (result.IsCompleted)
                {
                    return (new RequestBody(reader, result), null);
                }
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }
    }
}
