using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Web;

/// <summary>Wraps answers in the contract's <c>{"data": ...}</c> envelope, served as <c>application/json</c>.</summary>
public static class JsonData
{
    public const string ContentType = "application/json";

    public static JsonHttpResult<DataEnvelope<T>> Ok<T>(T data, JsonTypeInfo<DataEnvelope<T>> typeInfo) =>
        TypedResults.Json(new DataEnvelope<T>(data), typeInfo, ContentType, StatusCodes.Status200OK);

    public static JsonHttpResult<DataEnvelope<T>> Created<T>(T data, JsonTypeInfo<DataEnvelope<T>> typeInfo) =>
        TypedResults.Json(new DataEnvelope<T>(data), typeInfo, ContentType, StatusCodes.Status201Created);
}

/// <summary>
/// <c>{"data": ...}</c> written by a callback straight to the response (for shapes that depend on the
/// data, like a dataset's rows), with an optional <c>Location</c>.
/// </summary>
public sealed class WrittenJson(int statusCode, Action<System.Text.Json.Utf8JsonWriter> writeData, string? location = null)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => statusCode;

    public string ContentType => JsonData.ContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        if (location is not null)
        {
            response.Headers.Location = location;
        }
        await using var writer = new System.Text.Json.Utf8JsonWriter(response.BodyWriter, AnalyzerJsonContext.WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("data"u8);
        writeData(writer);
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
