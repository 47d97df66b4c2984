using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Web;

public sealed class SqliteHostileBodyTests(SqliteAuthApp app) : HostileBodyTests<SqliteAuthApp>(app);

public sealed class PostgresHostileBodyTests(PostgresAuthApp app) : HostileBodyTests<PostgresAuthApp>(app), IPostgresTests;

/// <summary>
/// JSON bodies a prober sends (issue 9): invalid UTF-8 or an unpaired surrogate in a name or a string, NUL,
/// trailing garbage, broken syntax. Every JSON endpoint answers 400 problem+json naming the field, changes
/// nothing, and says where the syntax broke as a person counts (line 1, column 15), on each back end.
/// Authentication is on so that POST /auth/revocations is among them.
/// </summary>
public abstract class HostileBodyTests<TApp> : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client;

    protected HostileBodyTests(TApp app)
    {
        client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestKeys.Issue([.. Scopes.All]).Token);
    }

    /// <summary>The JSON endpoints: method and path ({import} and {dataset} filled in by the test).</summary>
    public static readonly (string Method, string Path)[] Endpoints =
    [
        ("POST", "/imports"),
        ("PATCH", "/imports/{import}/citizens/1"),
        ("PUT", "/datasets/{dataset}/rows"),
        ("PATCH", "/datasets/{dataset}/rows/1"),
        ("POST", "/auth/revocations"),
    ];

    /// <summary>A body for each endpoint with one string value given as raw JSON (escapes and bytes as they are), and the field it is at.</summary>
    private static (byte[] Body, string Field) WithValue(string method, string path, byte[] rawString) => (method, path) switch
    {
        ("POST", "/imports") => (Concat("""{"citizens": [{"citizen_id": 1, "town": """, rawString,
            """, "street": "a", "building": "1", "apartment": 1, "name": "x", "birth_date": "01.01.2000", "gender": "male", "relatives": []}]}"""), "citizens[0].town"),
        ("PATCH", "/imports/{import}/citizens/1") => (Concat("""{"town": """, rawString, "}"), "town"),
        ("PUT", "/datasets/{dataset}/rows") => (Concat("""{"n": 7, "label": """, rawString, "}"), "label"),
        ("PATCH", "/datasets/{dataset}/rows/1") => (Concat("""{"label": """, rawString, "}"), "label"),
        _ => (Concat("""{"jti": """, rawString, "}"), "jti"),
    };

    /// <summary>A body for each endpoint with one more property whose name is raw JSON, before the valid ones.</summary>
    private static byte[] WithName(string method, string path, byte[] rawName) => (method, path) switch
    {
        ("POST", "/imports") => Concat("{", rawName, """: 1, "citizens": []}"""),
        ("PATCH", "/imports/{import}/citizens/1") => Concat("{", rawName, """: 1, "town": "Керчь"}"""),
        ("PUT", "/datasets/{dataset}/rows") => Concat("{", rawName, """: 1, "n": 7, "label": "x"}"""),
        ("PATCH", "/datasets/{dataset}/rows/1") => Concat("{", rawName, """: 1, "label": "x"}"""),
        _ => Concat("{", rawName, """: 1, "jti": "abc"}"""),
    };

    private static byte[] Concat(string before, byte[] middle, string after) => [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];

    /// <summary>Strings that are not text: an unpaired surrogate escape (high, low) and raw bytes that are not UTF-8.</summary>
    public static readonly (string Kind, byte[] Raw)[] NotText =
    [
        ("a lone high surrogate escape", "\"a\\ud800b\""u8.ToArray()),
        ("a lone low surrogate escape", "\"\\udc00\""u8.ToArray()),
        ("a high surrogate escape before a letter", "\"\\ud83dx\""u8.ToArray()),
        ("the byte 0xFF", [(byte)'"', (byte)'a', 0xFF, (byte)'"']),
        ("a truncated UTF-8 sequence", [(byte)'"', 0xD0, (byte)'"']),
    ];

    public static TheoryData<string, string, string> EndpointsAndNotText()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (method, path) in Endpoints)
        {
            foreach (var (kind, _) in NotText)
            {
                data.Add(method, path, kind);
            }
        }
        return data;
    }

    public static TheoryData<string, string> EndpointNames()
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, path) in Endpoints)
        {
            data.Add(method, path);
        }
        return data;
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, byte[] body)
    {
        var importId = await client.CreateImportAsync(Citizens.ContractExample());
        var dataset = "hostile_" + Guid.NewGuid().ToString("N")[..8];
        var csv = new ByteArrayContent("n,label\n1,one\n2,two\n"u8.ToArray());
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using (var upload = await client.PostAsync($"/datasets?name={dataset}", csv))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        var url = path.Replace("{import}", importId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{dataset}", dataset, StringComparison.Ordinal);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = content });
    }

    private static async Task<JsonElement> AssertRefusedAtAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error at {field}: {problem}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        return problem;
    }

    [BackendTheory]
    [MemberData(nameof(EndpointsAndNotText))]
    public async Task A_string_that_is_not_text_is_400_naming_its_field(string method, string path, string kind)
    {
        var (body, field) = WithValue(method, path, NotText.Single(t => t.Kind == kind).Raw);
        using var response = await SendAsync(method, path, body);
        var problem = await AssertRefusedAtAsync(response, field);
        Assert.Contains("Unicode", problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [BackendTheory]
    [MemberData(nameof(EndpointNames))]
    public async Task A_field_name_with_a_lone_surrogate_is_400_naming_it_as_written(string method, string path)
    {
        using var response = await SendAsync(method, path, WithName(method, path, "\"\\ud800\""u8.ToArray()));
        await AssertRefusedAtAsync(response, "\\ud800");
    }

    [BackendTheory]
    [MemberData(nameof(EndpointNames))]
    public async Task A_field_name_with_the_byte_0xFF_is_400_naming_it_with_a_replacement_character(string method, string path)
    {
        using var response = await SendAsync(method, path, WithName(method, path, [(byte)'"', (byte)'k', 0xFF, (byte)'"']));
        await AssertRefusedAtAsync(response, "k\uFFFD");
    }

    [BackendTheory]
    [MemberData(nameof(EndpointNames))]
    public async Task A_string_with_NUL_is_400_naming_its_field(string method, string path)
    {
        var (body, field) = WithValue(method, path, "\"a\\u0000b\""u8.ToArray());
        using var response = await SendAsync(method, path, body);
        var problem = await AssertRefusedAtAsync(response, field);
        Assert.Contains("U+0000", problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [BackendTheory]
    [MemberData(nameof(EndpointNames))]
    public async Task Trailing_garbage_after_the_body_is_400(string method, string path)
    {
        var (body, _) = WithValue(method, path, "\"ok\""u8.ToArray());
        using var response = await SendAsync(method, path, [.. body, .. " trailing"u8]);
        await AssertRefusedAtAsync(response, "$");
    }

    [BackendTheory]
    [MemberData(nameof(EndpointNames))]
    public async Task Broken_JSON_is_400_with_a_line_and_column_and_no_reader_positions(string method, string path)
    {
        var (body, _) = WithValue(method, path, "\"ok\",,"u8.ToArray());
        using var response = await SendAsync(method, path, body);
        var problem = await AssertRefusedAtAsync(response, "$");
        var text = problem.ToString();
        Assert.DoesNotContain("LineNumber", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", text, StringComparison.Ordinal);
        Assert.Contains("line 1, column ", problem.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
    }

    [BackendFact]
    public async Task A_refused_row_body_changes_nothing()
    {
        var (body, _) = WithValue("PUT", "/datasets/{dataset}/rows", "\"a\\u0000\""u8.ToArray());
        using var response = await SendAsync("PUT", "/datasets/{dataset}/rows", [.. body, .. " trailing"u8]);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        using var list = await client.GetAsync("/datasets");
        var datasets = (await list.ReadJsonAsync()).GetProperty("data").EnumerateArray();
        Assert.All(datasets.Where(d => d.GetProperty("name").GetString()!.StartsWith("hostile_", StringComparison.Ordinal)),
            d => Assert.Equal(2, d.GetProperty("row_count").GetInt64()));
    }
}
