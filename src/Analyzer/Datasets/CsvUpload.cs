using Analyzer.Datasets.Csv;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Analyzer.Datasets;

/// <summary>
/// Takes an uploaded CSV (a multipart field <c>file</c> or a <c>text/csv</c> body) to a temporary file,
/// so that it can be read twice (infer the types, then load) without holding it in memory.
/// </summary>
/// <remarks>
/// The file is <c>analyzer-upload-*.csv</c> in the service's spool folder (<see cref="UploadSpool"/>), opened
/// delete-on-close: it is removed when the upload is disposed, whatever ended the request — success, a refusal,
/// an error, or the client going away — and by <see cref="ReceiveAsync"/> itself when it does not return one. What a
/// killed process leaves there is removed at the next start.
/// </remarks>
public sealed class CsvUpload : IAsyncDisposable
{
    /// <summary>How the names of spooled uploads in the spool folder start.</summary>
    public const string SpoolPrefix = "analyzer-upload-";

    private CsvUpload(FileStream file, string? fileName) => (File, FileName) = (file, fileName);

    /// <summary>The spooled bytes; deleted when this is disposed.</summary>
    public FileStream File { get; }

    /// <summary>The client's file name (multipart uploads only).</summary>
    public string? FileName { get; }

    public ValueTask DisposeAsync() => File.DisposeAsync();

    public static async Task<(CsvUpload? Upload, IResult? Refusal)> ReceiveAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }
        MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType);
        var type = mediaType?.MediaType.Value?.ToLowerInvariant();
        if (type is not ("multipart/form-data" or "text/csv" or "text/plain" or "application/octet-stream" or "text/tab-separated-values"))
        {
            return (null, Problems.UnsupportedMediaType(request.ContentType, "multipart/form-data (field \"file\") or text/csv"));
        }
        var file = request.HttpContext.RequestServices.GetRequiredService<UploadSpool>().Create();
        try
        {
            string? fileName = null;
            if (type == "multipart/form-data")
            {
                var boundary = HeaderUtilities.RemoveQuotes(mediaType!.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    await file.DisposeAsync();
                    return (null, Problems.UnsupportedMediaType(request.ContentType, "multipart/form-data with a boundary"));
                }
                var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limit };
                var found = false;
                while (await ReadMultipartAsync(() => reader.ReadNextSectionAsync(cancellationToken)) is { } section)
                {
                    if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                        && disposition.Name.Value?.Trim('"') == "file")
                    {
                        fileName = disposition.FileName.Value?.Trim('"') ?? disposition.FileNameStar.Value;
                        if (fileName is not null && TextRule.HasNul(fileName))
                        {
                            await file.DisposeAsync();
                            return (null, Malformed($"the file name {TextRule.NulMessage}"));
                        }
                        await CopyAsync(section.Body, file, limit, cancellationToken, multipart: true);
                        found = true;
                        break;
                    }
                }
                if (!found)
                {
                    await file.DisposeAsync();
                    return (null, Malformed("the multipart body has no field named \"file\""));
                }
            }
            else
            {
                await CopyAsync(request.Body, file, limit, cancellationToken, multipart: false);
            }
            file.Position = 0;
            return (new CsvUpload(file, fileName), null);
        }
        catch (Exception e) when (e is TooLargeException || (e is BadHttpRequestException bad && bad.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            await file.DisposeAsync();
            return (null, Problems.TooLarge(limit));
        }
        catch (MalformedMultipartException e)
        {
            await file.DisposeAsync();
            return (null, Malformed(e.Message));
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private static ValidationProblem Malformed(string message)
    {
        var errors = new ValidationErrors();
        errors.Add("file", message);
        return Problems.Invalid(errors, "Nothing was uploaded: send the CSV as a well-formed multipart/form-data body with a field named \"file\" (curl -F file=@data.csv).");
    }

    /// <summary>
    /// A read of the multipart body, with its failures told apart: over the upload limit (413), or a body that
    /// is not the multipart body its Content-Type announces — another boundary, cut short, a part's headers over
    /// 16 KB (<see cref="MalformedMultipartException"/>, a 400). Kestrel's own refusals and the spool file's
    /// errors are left alone.
    /// </summary>
    private static async Task<T> ReadMultipartAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (InvalidDataException e) when (e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new TooLargeException();
        }
        catch (InvalidDataException e) when (e.Message.Contains("header length limit", StringComparison.OrdinalIgnoreCase)
                                             || e.Message.Contains("line length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new MalformedMultipartException(
                $"the headers of a part of the multipart body are longer than {MultipartReader.DefaultHeadersLengthLimit / 1024} KB ({MultipartReader.DefaultHeadersLengthLimit} bytes)");
        }
        catch (InvalidDataException e)
        {
            throw new MalformedMultipartException($"the multipart body is malformed: {e.Message}");
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw new MalformedMultipartException(e.Message.StartsWith("Unexpected end of Stream", StringComparison.Ordinal)
                ? "the multipart body ends before its closing boundary: it was cut short, or the boundary in Content-Type is not the one in the body"
                : $"the multipart body could not be read: {e.Message}");
        }
    }

    private static async Task CopyAsync(Stream source, Stream target, long limit, CancellationToken cancellationToken, bool multipart)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = multipart
                   ? await ReadMultipartAsync(() => source.ReadAsync(buffer, cancellationToken).AsTask())
                   : await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new TooLargeException();
            }
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        await target.FlushAsync(cancellationToken);
    }

    private sealed class TooLargeException : Exception;

    private sealed class MalformedMultipartException(string message) : Exception(message);
}
