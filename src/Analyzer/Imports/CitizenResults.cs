using System.Text.Json;
using Analyzer.Web;

namespace Analyzer.Imports;

/// <summary>
/// Writes <c>{"data": [CITIZEN, ...]}</c> or <c>{"data": CITIZEN}</c> straight to the response pipe with a
/// <see cref="Utf8JsonWriter"/>: rows go from the data reader to the client, flushed every few kilobytes,
/// so memory does not grow with the size of the import.
/// </summary>
public sealed class CitizenResults : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const int FlushThresholdBytes = 32 * 1024;

    private readonly IAsyncEnumerable<Citizen>? many;
    private readonly Citizen? one;

    private CitizenResults(IAsyncEnumerable<Citizen>? many, Citizen? one) => (this.many, this.one) = (many, one);

    public static CitizenResults List(IAsyncEnumerable<Citizen> citizens) => new(citizens, null);

    public static CitizenResults Single(Citizen citizen) => new(null, citizen);

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => JsonData.ContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        var cancellationToken = httpContext.RequestAborted;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, AnalyzerJsonContext.WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("data"u8);
        if (many is null)
        {
            CitizenJson.Write(writer, one!);
        }
        else
        {
            writer.WriteStartArray();
            await foreach (var citizen in many.WithCancellation(cancellationToken))
            {
                CitizenJson.Write(writer, citizen);
                if (writer.BytesPending > FlushThresholdBytes)
                {
                    await writer.FlushAsync(cancellationToken);
                    await response.BodyWriter.FlushAsync(cancellationToken);
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }
}
