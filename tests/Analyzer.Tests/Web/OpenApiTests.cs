using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Web;

/// <summary>The OpenAPI document at /openapi/v1.json: complete, OpenAPI 3.1, and true to the service's real answers.</summary>
public sealed class OpenApiTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private readonly HttpClient client = app.CreateClient();

    /// <summary>
    /// Every (path, method) of the routing table, except the document and Swagger UI themselves. A route with
    /// no method metadata (health checks answer any method) counts as GET.
    /// </summary>
    private IReadOnlyList<(string Path, string Method)> RoutedOperations() =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(IsHttpApi)
            .Select(endpoint => (Endpoint: endpoint, Path: DocumentPath(endpoint.RoutePattern)))
            .Where(e => !e.Path.StartsWith("/openapi/", StringComparison.Ordinal) && !e.Path.StartsWith("/docs", StringComparison.Ordinal))
            .SelectMany(e => (e.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["GET"])
                .Select(method => (e.Path, method.ToUpperInvariant())))
            .Distinct()];

    /// <summary>Not a method of the gRPC API (Grpc/), which the proto documents.</summary>
    private static bool IsHttpApi(Microsoft.AspNetCore.Http.Endpoint endpoint) => endpoint.Metadata.GetMetadata<global::Grpc.AspNetCore.Server.GrpcMethodMetadata>() is null;

    /// <summary><c>/imports/{import_id:id}/citizens</c> → <c>/imports/{import_id}/citizens</c>.</summary>
    private static string DocumentPath(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new NotSupportedException(part.ToString()),
        }))));

    [Fact]
    public async Task Every_route_of_the_routing_table_is_in_the_document_and_nothing_else()
    {
        var document = await ApiDocument.LoadAsync(client);
        var routed = RoutedOperations();
        var documented = document.Operations().Select(o => (o.Path, o.Method)).ToHashSet();

        Assert.Contains(("/imports", "POST"), routed); // the walk sees the routing table at all
        Assert.Contains(("/health", "GET"), routed);
        Assert.Contains(("/datasets/{name}/rows/{id}", "PATCH"), routed);
        Assert.Contains(("/confirmations/{token}", "POST"), routed);
        var missing = routed.Where(r => !documented.Contains(r)).Select(r => $"{r.Method} {r.Path}").ToArray();
        Assert.True(missing.Length == 0, "routed but not documented: " + string.Join(", ", missing));
        var stale = documented.Where(d => !routed.Contains(d)).Select(d => $"{d.Method} {d.Path}").ToArray();
        Assert.True(stale.Length == 0, "documented but not routed: " + string.Join(", ", stale));

        var operationIds = document.Operations().Select(o => o.Operation.GetProperty("operationId").GetString()).ToArray();
        Assert.True(operationIds.Length == operationIds.Distinct().Count(),
            "operation ids repeat: " + string.Join(", ", operationIds.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key)));
    }

    [Fact]
    public async Task Every_path_parameter_is_documented_and_ids_are_non_negative_integers()
    {
        var document = await ApiDocument.LoadAsync(client);
        var constrainedIds = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => endpoint.RoutePattern.ParameterPolicies
                .Where(policy => policy.Value.Any(p => p.Content == "id"))
                .Select(policy => (Path: DocumentPath(endpoint.RoutePattern), Name: policy.Key)))
            .ToHashSet();
        Assert.Contains(("/datasets/{name}/rows/{id}", "id"), constrainedIds);
        foreach (var (path, method, operation) in document.Operations())
        {
            var names = path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')).ToArray();
            var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().Select(document.Follow).ToArray() : [];
            foreach (var name in names)
            {
                var parameter = parameters.SingleOrDefault(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == "path");
                Assert.True(parameter.ValueKind == JsonValueKind.Object, $"{method} {path}: no path parameter {name}");
                Assert.True(parameter.GetProperty("required").GetBoolean());
                Assert.False(string.IsNullOrWhiteSpace(parameter.GetProperty("description").GetString()), $"{method} {path}: {name} has no description");
                if (name.EndsWith("_id", StringComparison.Ordinal) || constrainedIds.Contains((path, name)))
                {
                    var schema = parameter.GetProperty("schema");
                    Assert.Equal("integer", schema.GetProperty("type").GetString());
                    Assert.Equal(0, schema.GetProperty("minimum").GetInt32());
                }
            }
        }
        var citizenId = document.Operation("/imports/{import_id}/citizens/{citizen_id}", "PATCH").GetProperty("parameters")
            .EnumerateArray().Single(p => p.GetProperty("name").GetString() == "citizen_id").GetProperty("schema");
        Assert.Equal(int.MaxValue, citizenId.GetProperty("maximum").GetInt64());
    }

    [Fact]
    public async Task The_document_is_OpenAPI_3_1_and_its_errors_are_problem_json()
    {
        var document = await ApiDocument.LoadAsync(client);
        Assert.StartsWith("3.1.", document.Root.GetProperty("openapi").GetString(), StringComparison.Ordinal);

        var responses = document.Root.GetProperty("components").GetProperty("responses");
        foreach (var (status, name) in new[]
        {
            (400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (405, "MethodNotAllowed"), (409, "Conflict"),
            (410, "Gone"), (413, "PayloadTooLarge"), (415, "UnsupportedMediaType"), (500, "InternalServerError"),
        })
        {
            var schema = responses.GetProperty(name).GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
            Assert.Equal(status == 400 ? "#/components/schemas/HttpValidationProblemDetails" : "#/components/schemas/ProblemDetails",
                schema.GetProperty("$ref").GetString());
        }
        Assert.True(responses.GetProperty("MethodNotAllowed").GetProperty("headers").TryGetProperty("Allow", out _));
        var problem = document.Validator.Resolve("#/components/schemas/ProblemDetails");
        Assert.Equal(["status", "title", "detail"], problem.GetProperty("required").EnumerateArray().Select(r => r.GetString()));

        foreach (var (path, method, operation) in document.Operations())
        {
            var codes = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            Assert.Contains(codes, code => code.StartsWith('2'));
            if (operation.TryGetProperty("requestBody", out _))
            {
                Assert.True(codes.IsSupersetOf(["400", "413", "415"]), $"{method} {path} reads a body but documents {string.Join(", ", codes)}");
            }
            if (path.Contains("{import_id}", StringComparison.Ordinal) || path.Contains("{name}", StringComparison.Ordinal)
                || path.Contains("{token}", StringComparison.Ordinal))
            {
                Assert.True(codes.Contains("404"), $"{method} {path} does not document 404");
            }
        }
    }

    [Fact]
    public async Task The_503_is_documented_once_with_retry_after_and_uploads_refer_to_it()
    {
        var document = await ApiDocument.LoadAsync(client);
        var unavailable = document.Root.GetProperty("components").GetProperty("responses").GetProperty("ServiceUnavailable");
        Assert.True(unavailable.GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.Equal("#/components/schemas/ProblemDetails",
            unavailable.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
        var upload = document.Operation("/datasets", "POST");
        Assert.Equal("#/components/responses/ServiceUnavailable", upload.GetProperty("responses").GetProperty("503").GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task Real_answers_match_the_documented_schemas()
    {
        var document = await ApiDocument.LoadAsync(client);

        using var created = await client.PostJsonAsync("/imports", ContractExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await document.AssertDocumentedAsync(created, "/imports");
        var importId = (await created.ReadJsonAsync()).GetProperty("data").GetProperty("import_id").GetInt64();

        using var citizens = await client.GetAsync($"/imports/{importId}/citizens");
        Assert.Equal(HttpStatusCode.OK, citizens.StatusCode);
        await document.AssertDocumentedAsync(citizens, "/imports/{import_id}/citizens");

        using var patched = await client.PatchJsonAsync($"/imports/{importId}/citizens/3",
            """{"name": "Иванова Мария Леонидовна", "town": "Москва", "street": "Льва Толстого", "building": "16к7стр5", "apartment": 7, "relatives": [1, 3]}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await document.AssertDocumentedAsync(patched, "/imports/{import_id}/citizens/{citizen_id}");

        using var birthdays = await client.GetAsync($"/imports/{importId}/citizens/birthdays");
        Assert.Equal(HttpStatusCode.OK, birthdays.StatusCode);
        await document.AssertDocumentedAsync(birthdays, "/imports/{import_id}/citizens/birthdays");

        using var percentiles = await client.GetAsync($"/imports/{importId}/towns/stat/percentile/age");
        Assert.Equal(HttpStatusCode.OK, percentiles.StatusCode);
        await document.AssertDocumentedAsync(percentiles, "/imports/{import_id}/towns/stat/percentile/age");

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await document.AssertDocumentedAsync(health, "/health");
    }

    [Fact]
    public async Task Error_answers_match_the_documented_problem_schemas()
    {
        var document = await ApiDocument.LoadAsync(client);
        var importId = await client.CreateImportAsync(ContractExample());

        using var invalidImport = await client.PostJsonAsync("/imports", """{"citizens": [{"citizen_id": 1}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalidImport.StatusCode);
        await document.AssertDocumentedAsync(invalidImport, "/imports");

        using var malformed = await client.PostJsonAsync("/imports", """{"citizens": [""");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        await document.AssertDocumentedAsync(malformed, "/imports");

        using var invalidPatch = await client.PatchJsonAsync($"/imports/{importId}/citizens/1", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, invalidPatch.StatusCode);
        await document.AssertDocumentedAsync(invalidPatch, "/imports/{import_id}/citizens/{citizen_id}");

        using var plainText = await client.PostAsync("/imports", new StringContent("{}", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainText.StatusCode);
        await document.AssertDocumentedAsync(plainText, "/imports");

        foreach (var path in new[] { "/imports/{0}/citizens", "/imports/{0}/citizens/birthdays", "/imports/{0}/towns/stat/percentile/age" })
        {
            using var notFound = await client.GetAsync(path.Replace("{0}", "987654321", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            await document.AssertDocumentedAsync(notFound, path.Replace("{0}", "{import_id}", StringComparison.Ordinal));
        }
        using var unknownCitizen = await client.PatchJsonAsync($"/imports/{importId}/citizens/99", """{"name": "Кто-то"}""");
        Assert.Equal(HttpStatusCode.NotFound, unknownCitizen.StatusCode);
        await document.AssertDocumentedAsync(unknownCitizen, "/imports/{import_id}/citizens/{citizen_id}");
    }

    /// <summary>Every column type, an empty (NULL) cell and a quoted comma.</summary>
    private const string TownsCsv = """
        code,town,area,capital,founded,checked_at,note
        1,Москва,2561.5,true,1147-04-04,2024-05-01T10:00:00Z,
        2,Керчь,108.0,false,1821-01-01,2024-05-02T11:30:00Z,"a port, in Crimea"
        3,Тверь,152.2,false,1135-01-01,2024-05-03T12:00:00Z,

        """;

    private static string UniqueName(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    private static ByteArrayContent Csv(string csv)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        return content;
    }

    private Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string url, string json) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = ApiClient.Json(json) });

    private async Task<string> UploadTownsAsync()
    {
        var name = UniqueName("towns");
        using var created = await client.PostAsync($"/datasets?name={name}", Csv(TownsCsv));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return name;
    }

    /// <summary>The confirmation link of a 202 answer, as a path.</summary>
    private static async Task<string> ConfirmPathAsync(HttpResponseMessage requested) =>
        new Uri((await requested.ReadJsonAsync()).GetProperty("data").GetProperty("confirm_url").GetString()!).PathAndQuery;

    [Fact]
    public async Task Real_dataset_answers_match_the_documented_schemas()
    {
        var document = await ApiDocument.LoadAsync(client);

        var name = UniqueName("towns");
        using (var uploaded = await client.PostAsync($"/datasets?name={name}", Csv(TownsCsv)))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            await document.AssertDocumentedAsync(uploaded, "/datasets");
            document.AssertDocumentedHeader(uploaded, "/datasets", "Location");
            var columns = (await uploaded.ReadJsonAsync()).GetProperty("data").GetProperty("columns").EnumerateArray()
                .Select(c => c.GetProperty("type").GetString()!).ToArray();
            Assert.Equal(["integer", "text", "float", "boolean", "date", "timestamp", "text"], columns); // every type is checked against the enum
        }
        var fileName = UniqueName("file");
        using (var form = new MultipartFormDataContent())
        {
            var file = Csv(TownsCsv);
            form.Add(file, "file", fileName + ".csv");
            using var multipart = await client.PostAsync("/upload", form);
            Assert.Equal(HttpStatusCode.Created, multipart.StatusCode);
            await document.AssertDocumentedAsync(multipart, "/upload");
            Assert.Equal(fileName + ".csv", (await multipart.ReadJsonAsync()).GetProperty("data").GetProperty("source_file").GetString());
        }

        using var dataset = await client.GetAsync($"/datasets/{name}");
        Assert.Equal(HttpStatusCode.OK, dataset.StatusCode);
        await document.AssertDocumentedAsync(dataset, "/datasets/{name}");

        using var list = await client.GetAsync("/datasets");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        await document.AssertDocumentedAsync(list, "/datasets");

        using var ddl = await client.GetAsync($"/datasets/{name}/ddl");
        Assert.Equal(HttpStatusCode.OK, ddl.StatusCode);
        Assert.Equal("text/plain", ddl.Content.Headers.ContentType?.MediaType);
        await document.AssertDocumentedAsync(ddl, "/datasets/{name}/ddl");

        using (var page = await client.GetAsync($"/datasets/{name}/rows?limit=2"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            await document.AssertDocumentedAsync(page, "/datasets/{name}/rows");
            Assert.Equal(JsonValueKind.String, (await page.ReadJsonAsync()).GetProperty("next").ValueKind);
        }
        using (var lastPage = await client.GetAsync($"/datasets/{name}/rows?limit=2&after=2&capital=false"))
        {
            Assert.Equal(HttpStatusCode.OK, lastPage.StatusCode);
            await document.AssertDocumentedAsync(lastPage, "/datasets/{name}/rows");
            Assert.Equal(JsonValueKind.Null, (await lastPage.ReadJsonAsync()).GetProperty("next").ValueKind);
        }

        using var row = await client.GetAsync($"/datasets/{name}/rows/1");
        Assert.Equal(HttpStatusCode.OK, row.StatusCode);
        await document.AssertDocumentedAsync(row, "/datasets/{name}/rows/{id}");

        using var put = await SendJsonAsync(HttpMethod.Put, $"/datasets/{name}/rows",
            """{"code": 4, "town": "Тула", "area": 145.8, "capital": false, "founded": "1146-01-01", "checked_at": "2024-05-04T00:00:00Z", "note": null}""");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await document.AssertDocumentedAsync(put, "/datasets/{name}/rows");
        document.AssertDocumentedHeader(put, "/datasets/{name}/rows", "Location");

        using var patch = await client.PatchJsonAsync($"/datasets/{name}/rows/4", """{"note": "оружейная столица", "capital": true}""");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        await document.AssertDocumentedAsync(patch, "/datasets/{name}/rows/{id}");

        using var createRequested = await client.GetAsync(
            $"/datasets/{name}/rows/create?code=5&town=Калуга&area=168.8&capital=false&founded=1371-01-01&checked_at=2024-05-05T00:00:00Z");
        Assert.Equal(HttpStatusCode.Accepted, createRequested.StatusCode);
        await document.AssertDocumentedAsync(createRequested, "/datasets/{name}/rows/create");
        using var createConfirmed = await client.GetAsync(await ConfirmPathAsync(createRequested));
        Assert.Equal(HttpStatusCode.Created, createConfirmed.StatusCode);
        await document.AssertDocumentedAsync(createConfirmed, "/confirmations/{token}");
        document.AssertDocumentedHeader(createConfirmed, "/confirmations/{token}", "Location");

        using var updateRequested = await client.GetAsync($"/datasets/{name}/rows/1/update?note=столица");
        Assert.Equal(HttpStatusCode.Accepted, updateRequested.StatusCode);
        await document.AssertDocumentedAsync(updateRequested, "/datasets/{name}/rows/{id}/update");
        using var updateConfirmed = await client.PostAsync(await ConfirmPathAsync(updateRequested), null);
        Assert.Equal(HttpStatusCode.OK, updateConfirmed.StatusCode);
        await document.AssertDocumentedAsync(updateConfirmed, "/confirmations/{token}");

        using var deletedByLink = await client.GetAsync($"/datasets/{name}/rows/2/delete");
        Assert.Equal(HttpStatusCode.OK, deletedByLink.StatusCode);
        await document.AssertDocumentedAsync(deletedByLink, "/datasets/{name}/rows/{id}/delete");
        using (var withDeleted = await client.GetAsync($"/datasets/{name}/rows?include_deleted=true&order_by=-area"))
        {
            Assert.Equal(HttpStatusCode.OK, withDeleted.StatusCode);
            await document.AssertDocumentedAsync(withDeleted, "/datasets/{name}/rows"); // deleted_at as a string
        }
        using var restored = await client.PostAsync($"/datasets/{name}/rows/2/restore", null);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        await document.AssertDocumentedAsync(restored, "/datasets/{name}/rows/{id}/restore");

        using var deleted = await client.DeleteAsync($"/datasets/{name}/rows/3");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await document.AssertDocumentedWithoutBodyAsync(deleted, "/datasets/{name}/rows/{id}");
        using var dropped = await client.DeleteAsync($"/datasets/{fileName}");
        Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        await document.AssertDocumentedWithoutBodyAsync(dropped, "/datasets/{name}");
    }

    [Fact]
    public async Task Dataset_error_answers_match_the_documented_problem_schemas()
    {
        var document = await ApiDocument.LoadAsync(client);
        var name = await UploadTownsAsync();

        using var taken = await client.PostAsync($"/datasets?name={name}", Csv(TownsCsv));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        await document.AssertDocumentedAsync(taken, "/datasets");
        using var badMode = await client.PostAsync($"/upload?name={name}&mode=merge", Csv(TownsCsv));
        Assert.Equal(HttpStatusCode.BadRequest, badMode.StatusCode);
        await document.AssertDocumentedAsync(badMode, "/upload");
        using var ragged = await client.PostAsync($"/datasets?name={UniqueName("ragged")}", Csv("a,b\n1,2,3\n"));
        Assert.Equal(HttpStatusCode.BadRequest, ragged.StatusCode);
        await document.AssertDocumentedAsync(ragged, "/datasets");
        using var json = await client.PostAsync($"/datasets?name={UniqueName("json")}", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        await document.AssertDocumentedAsync(json, "/datasets");

        foreach (var path in new[] { "/datasets/{name}", "/datasets/{name}/ddl", "/datasets/{name}/rows", "/datasets/{name}/rows/create" })
        {
            using var unknown = await client.GetAsync(path.Replace("{name}", "no_such_dataset", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            await document.AssertDocumentedAsync(unknown, path);
        }
        foreach (var path in new[] { "/datasets/{name}/rows/{id}", "/datasets/{name}/rows/{id}/update", "/datasets/{name}/rows/{id}/delete" })
        {
            using var unknownRow = await client.GetAsync(path.Replace("{name}", name, StringComparison.Ordinal).Replace("{id}", "999", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.NotFound, unknownRow.StatusCode);
            await document.AssertDocumentedAsync(unknownRow, path);
        }
        using var noRowToRestore = await client.PostAsync($"/datasets/{name}/rows/999/restore", null);
        Assert.Equal(HttpStatusCode.NotFound, noRowToRestore.StatusCode);
        await document.AssertDocumentedAsync(noRowToRestore, "/datasets/{name}/rows/{id}/restore");
        using var noRowToDelete = await client.DeleteAsync($"/datasets/{name}/rows/999");
        Assert.Equal(HttpStatusCode.NotFound, noRowToDelete.StatusCode);
        await document.AssertDocumentedAsync(noRowToDelete, "/datasets/{name}/rows/{id}");
        using var noDataset = await client.DeleteAsync("/datasets/no_such_dataset");
        Assert.Equal(HttpStatusCode.NotFound, noDataset.StatusCode);
        await document.AssertDocumentedAsync(noDataset, "/datasets/{name}");

        using var badLimit = await client.GetAsync($"/datasets/{name}/rows?limit=0&code=x");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        await document.AssertDocumentedAsync(badLimit, "/datasets/{name}/rows");
        using var badPurge = await client.DeleteAsync($"/datasets/{name}/rows/1?purge=yes");
        Assert.Equal(HttpStatusCode.BadRequest, badPurge.StatusCode);
        await document.AssertDocumentedAsync(badPurge, "/datasets/{name}/rows/{id}");

        using var wrongType = await SendJsonAsync(HttpMethod.Put, $"/datasets/{name}/rows", """{"code": "four", "town": "Тула"}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        await document.AssertDocumentedAsync(wrongType, "/datasets/{name}/rows");
        using var plainText = await client.PutAsync($"/datasets/{name}/rows", new StringContent("{}", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainText.StatusCode);
        await document.AssertDocumentedAsync(plainText, "/datasets/{name}/rows");
        using var emptyPatch = await client.PatchJsonAsync($"/datasets/{name}/rows/1", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, emptyPatch.StatusCode);
        await document.AssertDocumentedAsync(emptyPatch, "/datasets/{name}/rows/{id}");
        Assert.NotEmpty(document.ValidateAgainst("RowPatch", "{}"));
        using var unknownColumn = await client.GetAsync($"/datasets/{name}/rows/create?code=9&nope=1");
        Assert.Equal(HttpStatusCode.BadRequest, unknownColumn.StatusCode);
        await document.AssertDocumentedAsync(unknownColumn, "/datasets/{name}/rows/create");

        using var requested = await client.GetAsync($"/datasets/{name}/rows/3/update?note=x");
        var confirm = await ConfirmPathAsync(requested);
        using (var purged = await client.DeleteAsync($"/datasets/{name}/rows/3?purge=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);
        }
        using var rowGone = await client.GetAsync(confirm);
        Assert.Equal(HttpStatusCode.Conflict, rowGone.StatusCode);
        await document.AssertDocumentedAsync(rowGone, "/confirmations/{token}");
        using var applied = await client.GetAsync($"/datasets/{name}/rows/1/update?note=x");
        var appliedConfirm = await ConfirmPathAsync(applied);
        using (var once = await client.GetAsync(appliedConfirm))
        {
            Assert.Equal(HttpStatusCode.OK, once.StatusCode);
        }
        using var usedTwice = await client.PostAsync(appliedConfirm, null);
        Assert.Equal(HttpStatusCode.Gone, usedTwice.StatusCode);
        await document.AssertDocumentedAsync(usedTwice, "/confirmations/{token}");
        using var forged = await client.GetAsync("/confirmations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        await document.AssertDocumentedAsync(forged, "/confirmations/{token}");
    }

    [Fact]
    public async Task The_dataset_examples_are_in_the_document_and_the_service_answers_them()
    {
        var document = await ApiDocument.LoadAsync(client);
        JsonNode Example(JsonElement mediaType) => JsonNode.Parse(mediaType.GetProperty("example").GetRawText())!;
        JsonNode ResponseExample(string path, string method, int status) =>
            Example(document.Response(path, method, status).GetProperty("content").GetProperty("application/json"));
        JsonNode RequestExample(string path, string method, string contentType) => JsonNode.Parse(document.Operation(path, method)
            .GetProperty("requestBody").GetProperty("content").GetProperty(contentType).GetProperty("examples").EnumerateObject().Single()
            .Value.GetProperty("value").GetRawText())!;
        static JsonNode WithoutDdl(JsonNode answer)
        {
            answer["data"]!.AsObject().Remove("ddl"); // written in PostgreSQL's dialect; this service runs on SQLite
            return answer;
        }

        // The upload as "Try it out" sends it: the query parameters' examples and the text/csv example.
        var upload = document.Operation("/datasets", "POST");
        static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        var query = string.Join("&", upload.GetProperty("parameters").EnumerateArray()
            .Where(p => p.TryGetProperty("example", out _))
            .Select(p => p.GetProperty("name").GetString() + "=" + Uri.EscapeDataString(Text(p.GetProperty("example")))));
        Assert.Contains("header=false", query, StringComparison.Ordinal);
        var csv = RequestExample("/datasets", "POST", "text/csv").GetValue<string>();
        using var uploaded = await client.PostAsync("/datasets?" + query, Csv(csv));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var answer = JsonNode.Parse(await uploaded.Content.ReadAsStringAsync())!;
        var documented = ResponseExample("/datasets", "POST", 201);
        Assert.Equal(answer["data"]!["ddl"]!.GetValue<string>().Split('\n').Length, documented["data"]!["ddl"]!.GetValue<string>().Split('\n').Length);
        Assert.True(JsonNode.DeepEquals(WithoutDdl(documented), WithoutDdl(answer)), answer.ToJsonString());

        using var page = await client.GetAsync("/datasets/airports/rows?limit=2");
        Assert.True(JsonNode.DeepEquals(ResponseExample("/datasets/{name}/rows", "GET", 200), JsonNode.Parse(await page.Content.ReadAsStringAsync())));
        using var row = await client.GetAsync("/datasets/airports/rows/1");
        Assert.True(JsonNode.DeepEquals(ResponseExample("/datasets/{name}/rows/{id}", "GET", 200), JsonNode.Parse(await row.Content.ReadAsStringAsync())));

        using var put = await SendJsonAsync(HttpMethod.Put, "/datasets/airports/rows", RequestExample("/datasets/{name}/rows", "PUT", "application/json").ToJsonString());
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.True(JsonNode.DeepEquals(ResponseExample("/datasets/{name}/rows", "PUT", 201), JsonNode.Parse(await put.Content.ReadAsStringAsync())));

        using var patch = await client.PatchJsonAsync("/datasets/airports/rows/1", RequestExample("/datasets/{name}/rows/{id}", "PATCH", "application/json").ToJsonString());
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.True(JsonNode.DeepEquals(ResponseExample("/datasets/{name}/rows/{id}", "PATCH", 200), JsonNode.Parse(await patch.Content.ReadAsStringAsync())));

        var createQuery = document.Operation("/datasets/{name}/rows/create", "GET").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "values").GetProperty("example").EnumerateObject()
            .Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value.GetString()!));
        using var requested = await client.GetAsync("/datasets/airports/rows/create?" + string.Join("&", createQuery));
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        using var confirmed = await client.GetAsync(await ConfirmPathAsync(requested));
        var created = JsonNode.Parse(await confirmed.Content.ReadAsStringAsync())!;
        var expected = ResponseExample("/confirmations/{token}", "GET", 201);
        expected["data"]!["id"] = created["data"]!["id"]!.GetValue<long>(); // PUT took row 5
        Assert.True(JsonNode.DeepEquals(expected, created), created.ToJsonString());
    }

    [Fact]
    public async Task Every_operation_that_requires_a_scope_documents_it_with_401_and_403()
    {
        var document = await ApiDocument.LoadAsync(client);
        Assert.False(document.Root.TryGetProperty("security", out _)); // no document-wide requirement: anonymous operations stay anonymous
        var components = document.Root.GetProperty("components");
        var bearer = components.GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());
        foreach (var name in new[] { "Unauthorized", "Forbidden" })
        {
            Assert.True(components.GetProperty("responses").GetProperty(name).GetProperty("headers").TryGetProperty("WWW-Authenticate", out _), name);
        }

        var scoped = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var anonymous = new List<string>();
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Where(IsHttpApi))
        {
            var path = DocumentPath(endpoint.RoutePattern);
            if (path.StartsWith("/openapi/", StringComparison.Ordinal) || path.StartsWith("/docs", StringComparison.Ordinal))
            {
                continue;
            }
            var scopes = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null
                ? endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy!).Distinct().Order(StringComparer.Ordinal).ToArray()
                : [];
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                var operation = document.Operation(path, method);
                var responses = operation.GetProperty("responses");
                var where = $"{method} {path}";
                if (scopes.Length == 0)
                {
                    anonymous.Add(where);
                    Assert.False(operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0, $"{where} is anonymous but documents {security}");
                    // Sign-in is open, and its own refusal of a wrong code is a 401 (not the bearer scheme's).
                    Assert.False((responses.TryGetProperty("401", out _) && where != "POST /auth/sessions") || responses.TryGetProperty("403", out _),
                        $"{where} is anonymous but documents 401 or 403");
                    continue;
                }
                scoped[where] = scopes;
                Assert.All(scopes, scope => Assert.Contains(scope, Scopes.All));
                Assert.True(operation.TryGetProperty("security", out var requirements), $"{where} needs {string.Join(", ", scopes)} but has no security");
                var requirement = Assert.Single(requirements.EnumerateArray());
                var named = Assert.Single(requirement.EnumerateObject());
                Assert.Equal("bearer", named.Name);
                Assert.Equal(scopes, named.Value.EnumerateArray().Select(s => s.GetString()!).Order(StringComparer.Ordinal));
                Assert.Equal("#/components/responses/Unauthorized", responses.GetProperty("401").GetProperty("$ref").GetString());
                Assert.Equal("#/components/responses/Forbidden", responses.GetProperty("403").GetProperty("$ref").GetString());
            }
        }

        Assert.Equal([Scopes.Read], scoped["GET /datasets/{name}/rows"]);
        Assert.Equal([Scopes.Write], scoped["GET /datasets/{name}/rows/create"]);
        Assert.Equal([Scopes.Write], scoped["POST /upload"]);
        Assert.Equal([Scopes.Admin], scoped["DELETE /datasets/{name}"]);
        Assert.Equal([Scopes.Admin], scoped["POST /auth/revocations"]);
        Assert.Equal([Scopes.Write], scoped["POST /imports"]);
        Assert.Contains("GET /health", anonymous);
        Assert.Contains("GET /confirmations/{token}", anonymous);
        Assert.Contains("POST /confirmations/{token}", anonymous);
    }

    [Fact]
    public async Task Every_documented_example_matches_its_schema()
    {
        var document = await ApiDocument.LoadAsync(client);
        var checkedExamples = 0;
        foreach (var (path, method, operation) in document.Operations())
        {
            var mediaTypes = new List<(string Where, JsonElement MediaType)>();
            if (operation.TryGetProperty("requestBody", out var body))
            {
                mediaTypes.AddRange(document.Follow(body).GetProperty("content").EnumerateObject().Select(c => ($"{method} {path} request", c.Value)));
            }
            foreach (var response in operation.GetProperty("responses").EnumerateObject())
            {
                if (document.Follow(response.Value).TryGetProperty("content", out var content))
                {
                    mediaTypes.AddRange(content.EnumerateObject().Select(c => ($"{method} {path} {response.Name}", c.Value)));
                }
            }
            foreach (var (where, mediaType) in mediaTypes)
            {
                var examples = new List<JsonElement>();
                if (mediaType.TryGetProperty("example", out var example))
                {
                    examples.Add(example);
                }
                if (mediaType.TryGetProperty("examples", out var named))
                {
                    examples.AddRange(named.EnumerateObject().Select(e => document.Follow(e.Value).GetProperty("value")));
                }
                foreach (var value in examples)
                {
                    var errors = document.Validator.Validate(value, mediaType.GetProperty("schema"));
                    Assert.True(errors.Count == 0, $"{where}: the example does not match the schema:\n{string.Join("\n", errors)}");
                    checkedExamples++;
                }
            }
        }
        Assert.True(checkedExamples >= 25, $"only {checkedExamples} examples in the document");
    }

    [Fact]
    public async Task The_contract_examples_are_in_the_document_and_the_service_accepts_them()
    {
        var document = await ApiDocument.LoadAsync(client);
        var importExample = document.Operation("/imports", "POST").GetProperty("requestBody").GetProperty("content")
            .GetProperty("application/json").GetProperty("examples").GetProperty("contract").GetProperty("value");
        Assert.True(JsonNode.DeepEquals(ContractExample(), JsonNode.Parse(importExample.GetRawText())), importExample.GetRawText());

        var importId = await client.CreateImportAsync(JsonNode.Parse(importExample.GetRawText())!);
        var patchExamples = document.Operation("/imports/{import_id}/citizens/{citizen_id}", "PATCH").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("examples");
        Assert.True(patchExamples.EnumerateObject().Count() >= 2);
        foreach (var example in patchExamples.EnumerateObject())
        {
            using var patched = await client.PatchJsonAsync($"/imports/{importId}/citizens/3", example.Value.GetProperty("value").GetRawText());
            Assert.True(patched.StatusCode == HttpStatusCode.OK, $"{example.Name}: {(int)patched.StatusCode} {await patched.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Bodies that break a rule the schemas can express: the schema and the service both refuse them.</summary>
    public static TheoryData<string, string> BodiesTheSchemaRefuses()
    {
        var data = new TheoryData<string, string>();
        void Add(string rule, Action<JsonObject> breakIt)
        {
            var body = Import(Citizen(1, [2]), Citizen(2, [1]), Citizen(3));
            breakIt(body["citizens"]![0]!.AsObject());
            data.Add(rule, body.ToJsonString());
        }
        Add("missing town", c => c.Remove("town"));
        Add("unknown field", c => c["age"] = 30);
        Add("citizen_id as a string", c => c["citizen_id"] = "1");
        Add("citizen_id as 1.0", c => c["citizen_id"] = JsonNode.Parse("1.0"));
        Add("apartment negative", c => c["apartment"] = -7);
        Add("apartment too large", c => c["apartment"] = 2147483648L);
        Add("empty town", c => c["town"] = "");
        Add("town without letters or digits", c => c["town"] = "-- .");
        Add("street of 257 characters", c => c["street"] = new string('ё', 257));
        Add("null name", c => c["name"] = null);
        Add("gender capitalised", c => c["gender"] = "Male");
        Add("birth_date ISO", c => c["birth_date"] = "1986-12-26");
        Add("birth_date one-digit day", c => c["birth_date"] = "1.12.1986");
        Add("relative listed twice", c => c["relatives"] = new JsonArray(2, 2));
        Add("relative as a string", c => c["relatives"] = new JsonArray("2"));
        data.Add("unknown top-level field", """{"citizens": [], "extra": 1}""");
        data.Add("no citizens", "{}");
        return data;
    }

    [Theory]
    [MemberData(nameof(BodiesTheSchemaRefuses))]
    public async Task The_import_schema_refuses_what_the_service_refuses(string rule, string body)
    {
        var document = await ApiDocument.LoadAsync(client);

        Assert.True(document.ValidateAgainst("ImportRequest", body).Count > 0, $"{rule}: the schema accepts {body}");
        using var response = await client.PostJsonAsync("/imports", body);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{rule}: the service answered {(int)response.StatusCode}");
        Assert.Empty(document.ValidateAgainst("ImportRequest", ContractExample().ToJsonString()));
    }

    [Fact]
    public async Task The_patch_schema_refuses_an_empty_patch_a_citizen_id_and_null()
    {
        var document = await ApiDocument.LoadAsync(client);
        Assert.Empty(document.ValidateAgainst("CitizenPatch", """{"relatives": []}"""));
        Assert.NotEmpty(document.ValidateAgainst("CitizenPatch", "{}"));
        Assert.NotEmpty(document.ValidateAgainst("CitizenPatch", """{"citizen_id": 4}"""));
        Assert.NotEmpty(document.ValidateAgainst("CitizenPatch", """{"name": null}"""));
    }

    [Fact]
    public async Task The_validator_reports_wrong_bodies()
    {
        var document = await ApiDocument.LoadAsync(client);
        var months = string.Join(", ", Enumerable.Range(1, 12).Where(m => m != 7).Select(m => $"\"{m}\": []"));

        var missingMonth = document.ValidateAgainst("PresentsByMonth", "{\"data\": {" + months + "}}");
        Assert.Contains(missingMonth, e => e.Contains("'7' is missing", StringComparison.Ordinal));
        var stringPercentile = document.ValidateAgainst("AgePercentiles", """{"data": [{"town": "Москва", "p50": "35.0", "p75": 47.5, "p99": 59.5}]}""");
        Assert.Contains(stringPercentile, e => e.StartsWith("$.data[0].p50", StringComparison.Ordinal));
        var extraField = document.ValidateAgainst("CitizenData",
            """{"data": {"citizen_id": 1, "town": "a", "street": "b", "building": "c", "apartment": 1, "name": "d", "birth_date": "01.01.2000", "gender": "male", "relatives": [], "age": 26}}""");
        Assert.Contains(extraField, e => e.Contains("'age' is not allowed", StringComparison.Ordinal));
        Assert.NotEmpty(document.ValidateAgainst("ImportCreated", """{"data": {"import_id": 1.5}}"""));
        Assert.Empty(document.ValidateAgainst("ImportCreated", """{"data": {"import_id": 1}}"""));
    }

    [Fact]
    public async Task Swagger_UI_is_served_from_the_service_and_reads_the_document()
    {
        using var noRedirects = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var redirect = await noRedirects.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal("docs/index.html", redirect.Headers.Location?.OriginalString);

        using var page = await client.GetAsync("/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("swagger-ui-bundle.js", html, StringComparison.Ordinal);
        var assets = Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(assets);
        Assert.All(assets, asset => Assert.DoesNotContain("//", asset, StringComparison.Ordinal)); // served from here, no CDN

        using var bundle = await client.GetAsync("/docs/swagger-ui-bundle.js");
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        using var config = await client.GetAsync("/docs/index.js");
        Assert.Contains("/openapi/v1.json", await config.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>The service with a 2 KB body limit and a 4 KB upload limit.</summary>
public sealed class SmallLimitsApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Analyzer:MAX_REQUEST_BODY_BYTES"] = "2048",
        ["Analyzer:MAX_UPLOAD_BYTES"] = "4096",
    };
}

/// <summary>413 answers, with small limits, match the documented problem schema.</summary>
public sealed class OpenApiBodyLimitTests(SmallLimitsApp app) : IClassFixture<SmallLimitsApp>
{
    private readonly HttpClient client = app.CreateClient();

    [Fact]
    public async Task A_body_over_the_limit_answers_the_documented_413()
    {
        var document = await ApiDocument.LoadAsync(client);
        var importId = await client.CreateImportAsync(Import(Citizen(1)));

        using var import = await client.PostJsonAsync("/imports", Import([.. Enumerable.Range(0, 20).Select(i => Citizen(i))]).ToJsonString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, import.StatusCode);
        await document.AssertDocumentedAsync(import, "/imports");

        using var patch = await client.PatchJsonAsync($"/imports/{importId}/citizens/1", $$"""{"name": "{{new string('x', 3000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, patch.StatusCode);
        await document.AssertDocumentedAsync(patch, "/imports/{import_id}/citizens/{citizen_id}");
    }

    [Fact]
    public async Task An_upload_or_a_row_over_the_limit_answers_the_documented_413()
    {
        var document = await ApiDocument.LoadAsync(client);
        var name = "limits_" + Guid.NewGuid().ToString("N")[..8];
        using (var small = await client.PostAsync($"/datasets?name={name}", new StringContent("a,b\n1,x\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, small.StatusCode);
        }

        var csv = "a,b\n" + string.Concat(Enumerable.Repeat("1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 100));
        using var upload = await client.PostAsync($"/upload?name={name}_big", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, upload.StatusCode);
        await document.AssertDocumentedAsync(upload, "/upload");

        var big = $$"""{"a": 2, "b": "{{new string('x', 3000)}}"}""";
        using var put = await client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/datasets/{name}/rows") { Content = ApiClient.Json(big) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        await document.AssertDocumentedAsync(put, "/datasets/{name}/rows");
        using var patch = await client.PatchJsonAsync($"/datasets/{name}/rows/1", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, patch.StatusCode);
        await document.AssertDocumentedAsync(patch, "/datasets/{name}/rows/{id}");
    }
}

/// <summary>With authentication on: the document stays open, and real 401 and 403 answers are the documented ones.</summary>
public sealed class OpenApiAuthTests(SqliteAuthApp app) : IClassFixture<SqliteAuthApp>
{
    private readonly HttpClient client = app.CreateClient();

    private static HttpRequestMessage Request(HttpMethod method, string url, string? token)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    [Fact]
    public async Task Refused_requests_answer_the_documented_401_and_403()
    {
        var document = await ApiDocument.LoadAsync(client); // anonymous, as the document says
        var reader = TestKeys.Issue(Scopes.Read).Token;

        using var noToken = await client.SendAsync(Request(HttpMethod.Get, "/datasets", null));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        await document.AssertDocumentedAsync(noToken, "/datasets");
        document.AssertDocumentedHeader(noToken, "/datasets", "WWW-Authenticate");
        using var badToken = await client.SendAsync(Request(HttpMethod.Get, "/datasets/x/rows", "not-a-jwt"));
        Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
        await document.AssertDocumentedAsync(badToken, "/datasets/{name}/rows");

        using var list = await client.SendAsync(Request(HttpMethod.Get, "/datasets", reader));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var drop = await client.SendAsync(Request(HttpMethod.Delete, "/datasets/x", reader));
        Assert.Equal(HttpStatusCode.Forbidden, drop.StatusCode);
        await document.AssertDocumentedAsync(drop, "/datasets/{name}");
        document.AssertDocumentedHeader(drop, "/datasets/{name}", "WWW-Authenticate");
        using var requestLink = await client.SendAsync(Request(HttpMethod.Get, "/datasets/x/rows/create?a=1", reader));
        Assert.Equal(HttpStatusCode.Forbidden, requestLink.StatusCode);
        await document.AssertDocumentedAsync(requestLink, "/datasets/{name}/rows/create");

        using var confirm = await client.SendAsync(Request(HttpMethod.Get, "/confirmations/AAAA", null)); // the link is the credential
        Assert.Equal(HttpStatusCode.NotFound, confirm.StatusCode);
        await document.AssertDocumentedAsync(confirm, "/confirmations/{token}");
    }
}

/// <summary>
/// Swagger UI in a real headless Chromium against the real executable on Kestrel: every path of the document
/// is shown, and "Try it out" works (the contract's example import is stored, then read back).
/// </summary>
public sealed class OpenApiBrowserTests
{
    /// <summary>The page as it opens, every operation listed; a person can look at it after a run.</summary>
    public const string ScreenshotPath = "/tmp/analyzer-docs.png";

    /// <summary>The page after "Try it out" of POST /imports and GET citizens.</summary>
    public const string TryItOutScreenshotPath = "/tmp/analyzer-docs-try-it-out.png";

    [BrowserFact]
    public async Task Docs_page_shows_every_endpoint_and_try_it_out_works()
    {
        var directory = Directory.CreateTempSubdirectory("analyzer-docs-");
        try
        {
            await using var service = await AnalyzerServer.StartAsync(directory.FullName, null,
                "--db", "sqlite://" + Path.Combine(directory.FullName, "analyzer.db"), "--log-level", "Warning");
            await CheckDocsPageAsync(service.Client);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task CheckDocsPageAsync(HttpClient http)
    {
        var document = await ApiDocument.LoadAsync(http);
        var expected = document.Operations().Select(o => $"{o.Method} {o.Path}").Order(StringComparer.Ordinal).ToArray();
        var origin = http.BaseAddress!.GetLeftPart(UriPartial.Authority);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Browser.ChromiumPath,
            Headless = true,
            Args = Browser.ChromiumArgs,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        page.SetDefaultTimeout(60_000);
        var elsewhere = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(origin, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                lock (elsewhere)
                {
                    elsewhere.Add(request.Url);
                }
            }
        };

        await page.GotoAsync(origin + "/docs");
        await page.Locator(".opblock").Nth(expected.Length - 1).WaitForAsync();
        var shown = (await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.opblock')].map(block =>
                block.querySelector('.opblock-summary-method').textContent.trim().toUpperCase() + ' ' +
                block.querySelector('.opblock-summary-path').getAttribute('data-path'))
            """)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, shown);
        await page.ScreenshotAsync(new() { Path = ScreenshotPath, FullPage = true });

        await TryItOutAsync(page, "#operations-Imports-CreateImport", "201");
        await TryItOutAsync(page, "#operations-Imports-GetCitizens", "200");
        var citizens = await page.Locator("#operations-Imports-GetCitizens .live-responses-table .response-col_description pre").First.TextContentAsync();
        Assert.Contains("Романова Мария Леонидовна", citizens, StringComparison.Ordinal);

        // The bearer scheme gives the page its Authorize button; with authentication off, operations that name a scope work without a token.
        Assert.True(await page.Locator(".auth-wrapper button.authorize").IsVisibleAsync(), "no Authorize button");
        await TryItOutAsync(page, "#operations-Datasets-UploadDataset", "201"); // the text/csv example, with the query parameters' examples
        await TryItOutAsync(page, "#operations-Datasets-ListRows", "200");
        var rows = await page.Locator("#operations-Datasets-ListRows .live-responses-table .response-col_description pre").First.TextContentAsync();
        Assert.Contains("Goroka Airport", rows, StringComparison.Ordinal);

        await page.ScreenshotAsync(new() { Path = TryItOutScreenshotPath, FullPage = true });
        Assert.True(elsewhere.Count == 0, "the page loaded from elsewhere: " + string.Join(", ", elsewhere));
    }

    /// <summary>Opens an operation, presses "Try it out" and "Execute" with the pre-filled examples, and waits for the status.</summary>
    private static async Task TryItOutAsync(IPage page, string operation, string expectedStatus)
    {
        var block = page.Locator(operation);
        await block.Locator(".opblock-summary").First.ClickAsync();
        await block.Locator("button.try-out__btn").ClickAsync();
        await block.Locator("button.execute").ClickAsync();
        var status = block.Locator(".live-responses-table .response .response-col_status").First;
        await status.WaitForAsync();
        var actual = (await status.TextContentAsync())?.Trim();
        if (actual != expectedStatus)
        {
            var url = await block.Locator(".request-url pre").First.TextContentAsync();
            var body = await block.Locator(".live-responses-table .response-col_description pre").First.TextContentAsync();
            Assert.Fail($"{operation}: expected {expectedStatus}, got {actual} from {url}: {body}");
        }
    }
}
