using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Analyzer.Tests.Imports;
using Analyzer.Tests.Infrastructure;
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
            .Select(endpoint => (Endpoint: endpoint, Path: DocumentPath(endpoint.RoutePattern)))
            .Where(e => !e.Path.StartsWith("/openapi/", StringComparison.Ordinal) && !e.Path.StartsWith("/docs", StringComparison.Ordinal))
            .SelectMany(e => (e.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["GET"])
                .Select(method => (e.Path, method.ToUpperInvariant())))
            .Distinct()];

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
        var missing = routed.Where(r => !documented.Contains(r)).Select(r => $"{r.Method} {r.Path}").ToArray();
        Assert.True(missing.Length == 0, "routed but not documented: " + string.Join(", ", missing));
        var stale = documented.Where(d => !routed.Contains(d)).Select(d => $"{d.Method} {d.Path}").ToArray();
        Assert.True(stale.Length == 0, "documented but not routed: " + string.Join(", ", stale));
    }

    [Fact]
    public async Task Every_path_parameter_is_documented_and_ids_are_non_negative_integers()
    {
        var document = await ApiDocument.LoadAsync(client);
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
                if (name.EndsWith("_id", StringComparison.Ordinal))
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
            (400, "BadRequest"), (404, "NotFound"), (405, "MethodNotAllowed"), (409, "Conflict"), (410, "Gone"),
            (413, "PayloadTooLarge"), (415, "UnsupportedMediaType"), (500, "InternalServerError"),
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
            if (path.Contains("{import_id}", StringComparison.Ordinal))
            {
                Assert.True(codes.Contains("404"), $"{method} {path} does not document 404");
            }
        }
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
        Assert.True(checkedExamples >= 8, $"only {checkedExamples} examples in the document");
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

/// <summary>413 answers, with a small body limit, match the documented problem schema.</summary>
public sealed class OpenApiBodyLimitTests(SmallBodyLimitApp app) : IClassFixture<SmallBodyLimitApp>
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

        await page.ScreenshotAsync(new() { Path = TryItOutScreenshotPath, FullPage = true });
        Assert.True(elsewhere.Count == 0, "the page loaded from elsewhere: " + string.Join(", ", elsewhere));
    }

    /// <summary>Opens an operation, presses "Try it out" and "Execute" with the pre-filled example, and waits for the status.</summary>
    private static async Task TryItOutAsync(IPage page, string operation, string expectedStatus)
    {
        var block = page.Locator(operation);
        await block.Locator(".opblock-summary").First.ClickAsync();
        await block.Locator("button.try-out__btn").ClickAsync();
        await block.Locator("button.execute").ClickAsync();
        var status = block.Locator(".live-responses-table .response .response-col_status").First;
        await status.WaitForAsync();
        Assert.Equal(expectedStatus, (await status.TextContentAsync())?.Trim());
    }
}
