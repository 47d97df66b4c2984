using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Analyzer.Web;

/// <summary>Reads a whole JSON body from the request pipe, without copying, for a synchronous parser.</summary>
public static class RequestBody
{
    /// <summary>The problem that stops reading this body (415, 413), or null when it may be read.</summary>
    public static ProblemHttpResult? Refuse(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is not null
            && !(MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
                 && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                     || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
        {
            return Problems.UnsupportedMediaType(contentType);
        }
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<AnalyzerOptions>>().Value.MaxRequestBodyBytes;
        return request.ContentLength > limit ? Problems.TooLarge(limit) : null;
    }

    public delegate T Parser<out T>(ReadOnlySequence<byte> body);

    public static async Task<T> ParseAsync<T>(HttpRequest request, Parser<T> parse, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted)
            {
                try
                {
                    return parse(result.Buffer);
                }
                finally
                {
                    reader.AdvanceTo(result.Buffer.End);
                }
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
