using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Datasets;

public sealed class SqliteHostileDatasetTests(SqliteApp app) : HostileDatasetTests<SqliteApp>(app);

public sealed class PostgresHostileDatasetTests(PostgresApp app) : HostileDatasetTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// Dataset requests a prober sends (issue 9): NUL in filters, link values and file names, broken multipart
/// bodies, and the edge dates 0001-01-01 and 9999-12-31, which must be found and stored alike on each back end.
/// </summary>
public abstract class HostileDatasetTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    private async Task<string> UploadAsync(string csv)
    {
        var name = "edge_" + Guid.NewGuid().ToString("N")[..8];
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await client.PostAsync($"/datasets?name={name}", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    private async Task<JsonElement> RowsAsync(string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body.GetProperty("data");
    }

    private static async Task AssertRefusedAtAsync(HttpResponseMessage response, string field, string mentioned)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error at {field}: {problem}");
        Assert.Contains(mentioned, messages[0].GetString(), StringComparison.Ordinal);
    }

    [BackendTheory]
    [InlineData("/rows?label=%00")]
    [InlineData("/rows?label=a%00b")]
    [InlineData("/rows/create?n=3&label=%00")]
    [InlineData("/rows/1/update?label=x%00")]
    public async Task NUL_in_a_filter_or_a_link_value_is_400_naming_the_column(string query)
    {
        var name = await UploadAsync("n,label\n1,one\n2,two\n");
        using var response = await client.GetAsync($"/datasets/{name}{query}");
        await AssertRefusedAtAsync(response, "label", "U+0000");
        Assert.Equal(2, (await RowsAsync($"/datasets/{name}/rows")).GetArrayLength());
    }

    private static ByteArrayContent Multipart(string boundaryHeader, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundaryHeader}");
        return content;
    }

    private const string Part = "--RIGHT\r\nContent-Disposition: form-data; name=\"file\"; filename=\"part.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--RIGHT--\r\n";

    public static TheoryData<string, string, string> BrokenMultipart() => new()
    {
        { "another boundary than the body's", "WRONG", Part },
        { "a body cut short in the file", "RIGHT", Part[..Part.IndexOf("1,2", StringComparison.Ordinal)] },
        { "a body cut short in the headers", "RIGHT", Part[..30] },
        { "a body cut short before the first boundary ends", "RIGHT", "--RIG" },
    };

    [BackendTheory]
    [MemberData(nameof(BrokenMultipart))]
    public async Task A_broken_multipart_body_is_400_and_stores_nothing(string rule, string boundary, string body)
    {
        var name = "multipart_" + Guid.NewGuid().ToString("N")[..8];
        using var response = await client.PostAsync($"/datasets?name={name}", Multipart(boundary, body));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("file", out _), $"{rule}: {problem}");
        using var dataset = await client.GetAsync($"/datasets/{name}");
        await dataset.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendFact]
    public async Task A_multipart_header_over_16_KB_is_400_saying_so_not_413()
    {
        var body = "--RIGHT\r\nX-Padding: " + new string('p', 17 * 1024) + "\r\n" + Part["--RIGHT\r\n".Length..];
        using var response = await client.PostAsync("/datasets?name=padded", Multipart("RIGHT", body));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var message = problem.GetProperty("errors").GetProperty("file")[0].GetString()!;
        Assert.Contains("16", message, StringComparison.Ordinal);
        Assert.DoesNotContain("larger than", problem.ToString(), StringComparison.Ordinal);
    }

    [BackendTheory]
    [InlineData("filename=\"a\u0000b.csv\"")]
    [InlineData("filename*=UTF-8''a%00b.csv")]
    public async Task NUL_in_a_multipart_file_name_is_400(string fileName)
    {
        var name = "nul_file_" + Guid.NewGuid().ToString("N")[..8];
        var body = $"--RIGHT\r\nContent-Disposition: form-data; name=\"file\"; {fileName}\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--RIGHT--\r\n";
        using var response = await client.PostAsync($"/datasets?name={name}", Multipart("RIGHT", body));
        await AssertRefusedAtAsync(response, "file", "U+0000");
        using var dataset = await client.GetAsync($"/datasets/{name}");
        await dataset.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Npgsql sends DateOnly.MinValue/MaxValue and DateTime(Offset).MinValue as -infinity/infinity unless told
    /// not to: a row of 0001-01-01 would be stored as -infinity and a filter for it would find nothing.
    /// </summary>
    [BackendFact]
    public async Task The_first_and_last_dates_round_trip_and_filters_find_them()
    {
        var name = await UploadAsync("d,t,note\n0001-01-01,0001-01-01T00:00:00Z,first\n9999-12-31,9999-12-31T23:59:59Z,last\n2024-05-01,2024-05-01T10:00:00Z,middle\n");
        var rows = await RowsAsync($"/datasets/{name}/rows");
        Assert.Equal(["0001-01-01", "9999-12-31", "2024-05-01"], rows.EnumerateArray().Select(r => r.GetProperty("d").GetString()));
        Assert.Equal(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-05-01T10:00:00Z"], rows.EnumerateArray().Select(r => r.GetProperty("t").GetString()));

        using (var put = await client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/datasets/{name}/rows")
        {
            Content = ApiClient.Json("""{"d": "0001-01-01", "t": "0001-01-01T00:00:00Z", "note": "put"}"""),
        }))
        {
            Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
        }
        using (var patch = await client.PatchJsonAsync($"/datasets/{name}/rows/3", """{"d": "9999-12-31"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        Assert.Equal(["first", "put"], (await RowsAsync($"/datasets/{name}/rows?d=0001-01-01")).EnumerateArray().Select(r => r.GetProperty("note").GetString()));
        Assert.Equal(["first", "put"], (await RowsAsync($"/datasets/{name}/rows?t=0001-01-01T00:00:00Z")).EnumerateArray().Select(r => r.GetProperty("note").GetString()));
        Assert.Equal(["last", "middle"], (await RowsAsync($"/datasets/{name}/rows?d=9999-12-31")).EnumerateArray().Select(r => r.GetProperty("note").GetString()));
        Assert.Equal(["0001-01-01", "0001-01-01", "9999-12-31", "9999-12-31"], (await RowsAsync($"/datasets/{name}/rows?order_by=d")).EnumerateArray().Select(r => r.GetProperty("d").GetString()));
        var stored = (await RowsAsync($"/datasets/{name}/rows?note=put"))[0];
        Assert.Equal("0001-01-01", stored.GetProperty("d").GetString());
        Assert.Equal("0001-01-01T00:00:00Z", stored.GetProperty("t").GetString());
    }
}
