using System.Text.Json;

namespace Analyzer.Tests.Infrastructure;

/// <summary>The service's OpenAPI document, read as JSON, with its schemas applied to real answers.</summary>
public sealed class ApiDocument
{
    private ApiDocument(JsonElement root) => Validator = new JsonSchemaValidator(root);

    public JsonElement Root => Validator.Document;

    public JsonSchemaValidator Validator { get; }

    public static async Task<ApiDocument> LoadAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /openapi/v1.json: {(int)response.StatusCode} {text}");
        return new ApiDocument(JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Every operation as (path, METHOD, operation).</summary>
    public IEnumerable<(string Path, string Method, JsonElement Operation)> Operations() =>
        from path in Root.GetProperty("paths").EnumerateObject()
        from operation in path.Value.EnumerateObject()
        select (path.Name, operation.Name.ToUpperInvariant(), operation.Value);

    public JsonElement Operation(string path, string method) =>
        Root.GetProperty("paths").TryGetProperty(path, out var item) && item.TryGetProperty(method.ToLowerInvariant(), out var operation)
            ? operation
            : throw new Xunit.Sdk.XunitException($"{method} {path} is not in the document");

    /// <summary>The response object of an operation for a status, following a <c>$ref</c> to <c>#/components/responses</c>.</summary>
    public JsonElement Response(string path, string method, int status)
    {
        var responses = Operation(path, method).GetProperty("responses");
        Assert.True(responses.TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response),
            $"{method} {path} does not document {status}; it documents {string.Join(", ", responses.EnumerateObject().Select(r => r.Name))}");
        return Follow(response);
    }

    public JsonElement Follow(JsonElement element) =>
        element.TryGetProperty("$ref", out var reference) ? Validator.Resolve(reference.GetString()!) : element;

    /// <summary>
    /// Asserts that an answer is documented for its operation (<paramref name="path"/> is the document's path,
    /// the method is the request's), with its status and content type, and that its body matches that schema.
    /// A JSON body (application/json, application/*+json) is validated as JSON; any other body as one JSON string.
    /// </summary>
    public async Task AssertDocumentedAsync(HttpResponseMessage response, string path)
    {
        var method = response.RequestMessage!.Method.Method;
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.False(mediaType is null, $"{method} {path} answered {status} without a content type: {body}");
        var content = Response(path, method, status).GetProperty("content");
        Assert.True(content.TryGetProperty(mediaType, out var documented),
            $"{method} {path} {status} is documented as {string.Join(", ", content.EnumerateObject().Select(c => c.Name))}, not {mediaType}");
        var json = mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);
        var instance = json ? JsonDocument.Parse(body).RootElement : JsonSerializer.SerializeToElement(body);
        var errors = Validator.Validate(instance, documented.GetProperty("schema"));
        Assert.True(errors.Count == 0, $"{method} {path} {status} does not match its documented schema:\n{string.Join("\n", errors)}\n{body}");
    }

    /// <summary>Asserts that the answer has a header that its operation documents for its status.</summary>
    public void AssertDocumentedHeader(HttpResponseMessage response, string path, string header)
    {
        var method = response.RequestMessage!.Method.Method;
        var status = (int)response.StatusCode;
        Assert.True(response.Headers.Contains(header), $"{method} {path} {status} answered without {header}");
        Assert.True(Response(path, method, status).TryGetProperty("headers", out var headers) && headers.TryGetProperty(header, out _),
            $"{method} {path} {status} answers {header}, but the document does not say so");
    }

    /// <summary>Asserts that an answer without a body (204) is documented for its operation, without content.</summary>
    public async Task AssertDocumentedWithoutBodyAsync(HttpResponseMessage response, string path)
    {
        var method = response.RequestMessage!.Method.Method;
        var status = (int)response.StatusCode;
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        var documented = Response(path, method, status);
        Assert.False(documented.TryGetProperty("content", out var content) && content.EnumerateObject().Any(),
            $"{method} {path} {status} answers no body but is documented with content");
    }

    /// <summary>The errors of <paramref name="json"/> against <c>#/components/schemas/{name}</c>.</summary>
    public IReadOnlyList<string> ValidateAgainst(string schemaName, string json) =>
        Validator.Validate(JsonDocument.Parse(json).RootElement, Validator.Resolve("#/components/schemas/" + schemaName));
}
