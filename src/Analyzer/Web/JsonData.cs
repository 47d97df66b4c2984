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
