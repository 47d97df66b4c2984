using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Analyzer.Web;

/// <summary>
/// A whole JSON request body: held in the request pipe's own buffers (no copy), or, when it is larger than the caller
/// allows in memory, written to a spool file as it arrives and mapped from there (<see cref="MappedFile"/>). Disposing
/// releases either.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private readonly PipeReader? reader;
    private readonly ReadResult result;
    private readonly FileStream? spooled;
    private readonly MappedFile? mapped;

    private RequestBody(PipeReader reader, ReadResult result) => (this.reader, this.result) = (reader, result);

    private RequestBody(FileStream spooled, MappedFile mapped) => (this.spooled, this.mapped) = (spooled, mapped);

    public ReadOnlySequence<byte> Content => mapped?.Content ?? result.Buffer;

    /// <summary>Whether the body went to a spool file (it was larger than the caller keeps in memory).</summary>
    public bool Spooled => mapped is not null;

    public void Dispose()
    {
        if (mapped is not null)
        {
            mapped.Dispose();
            spooled!.Dispose(); // deletes the file
        }
        else
        {
            reader!.AdvanceTo(result.Buffer.End);
        }
    }

    /// <summary>
    /// Reads the body, or answers why not: 415 for a content type other than JSON, 413 for a body over
    /// the configured limit (announced by Content-Length, or found while reading a chunked body).
    /// </summary>
    public static Task<(RequestBody? Body, ProblemHttpResult? Refusal)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken) =>
        ReadJsonAsync(request, null, cancellationToken);

    /// <summary>
    /// As <see cref="ReadJsonAsync(HttpRequest, CancellationToken)"/>; a body that grows past
    /// <paramref name="spool"/>'s <c>Over</c> bytes is written to a file that <c>Create</c> makes (deleted when
    /// closed), so that the memory it takes does not grow with it.
    /// </summary>
    public static async Task<(RequestBody? Body, ProblemHttpResult? Refusal)> ReadJsonAsync(
        HttpRequest request, (long Over, Func<FileStream> Create)? spool, CancellationToken cancellationToken)
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
                if (spool is { } to && (result.Buffer.Length > to.Over || request.ContentLength > to.Over))
                {
                    return (await SpoolAsync(reader, result, to.Create(), cancellationToken), null);
                }
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

    /// <summary>Writes the body, from what <paramref name="result"/> holds on, to <paramref name="file"/>, and maps it.</summary>
    private static async Task<RequestBody> SpoolAsync(PipeReader reader, ReadResult result, FileStream file, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                foreach (var segment in result.Buffer)
                {
                    await file.WriteAsync(segment, cancellationToken);
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
                result = await reader.ReadAsync(cancellationToken);
            }
            await file.FlushAsync(cancellationToken);
            return new RequestBody(file, new MappedFile(file));
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}
