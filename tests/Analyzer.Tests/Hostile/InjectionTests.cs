using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Hostile;

public sealed class SqliteInjectionTests(SqliteApp app) : InjectionTests<SqliteApp>(app);

public sealed class PostgresInjectionTests(PostgresApp app) : InjectionTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// SQL in every name and value a client controls: dataset names, CSV headers (column names), filters, <c>order_by</c>.
/// Each is refused or taken as plain text; afterwards the tables are all there, the import whole, nothing executed.
/// File names with path traversal write nothing outside the spool.
/// </summary>
public abstract class InjectionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private readonly HttpClient client = app.CreateClient();

    public static TheoryData<string> Hostile() =>
    [
        "x\"; DROP TABLE imports; --",
        "x'; DROP TABLE imports; --",
        "x); DELETE FROM citizens; --",
        "x /* comment */",
        "x -- comment",
        "x; SELECT 1",
        "n\u0430me", // Cyrillic a
        "\uff44\uff52\uff4f\uff50", // fullwidth "drop"
        "x`; DROP TABLE imports",
        "x]; DROP TABLE imports; --",
        "\" OR \"1\"=\"1",
    ];

    /// <summary>What must survive: the import of <see cref="FuzzCases.ValidImport"/> with its 3 citizens, and every core table.</summary>
    private async Task<long> StoredImportAsync()
    {
        var importId = await client.CreateImportAsync(System.Text.Json.Nodes.JsonNode.Parse(FuzzCases.ValidImport)!);
        return importId;
    }

    private async Task AssertNothingExecutedAsync(long importId)
    {
        Assert.Equal(3, (await client.GetCitizensAsync(importId)).Count);
        var database = app.Services.GetRequiredService<Analyzer.Storage.Database>();
        await using var session = await database.ConnectAsync(CancellationToken.None);
        foreach (var table in new[] { "imports", "citizens", "datasets", "schema_migrations", "token_revocations", "totp_users" })
        {
            await using var command = session.Command($"SELECT count(*) FROM {table}");
            Assert.True(Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) >= 0);
        }
    }

    private async Task<HttpResponseMessage> UploadAsync(string name, string csv) =>
        await client.PostAsync($"/datasets?name={Uri.EscapeDataString(name)}", new StringContent(csv, Encoding.UTF8, "text/csv"));

    [BackendTheory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_dataset_name_is_refused_or_stored_as_text(string name)
    {
        var importId = await StoredImportAsync();
        // Unique per case: names are folded to identifiers, and two hostile names may fold to the same one (a 409).
        using var response = await UploadAsync(name + " " + Guid.NewGuid().ToString("N")[..6], "a,b\n1,2\n");
        if (response.StatusCode == HttpStatusCode.Created)
        {
            var stored = response.Headers.Location!.OriginalString["/datasets/".Length..];
            Assert.DoesNotMatch("[\"'`;\\s/*\\[\\]()-]", stored);
            using var dataset = await client.GetAsync(response.Headers.Location);
            Assert.Equal(HttpStatusCode.OK, dataset.StatusCode);
        }
        else
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _), problem.ToString());
        }
        await AssertNothingExecutedAsync(importId);
    }

    [BackendTheory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_CSV_header_becomes_a_column_name_or_is_refused_and_filters_and_order_by_with_SQL_find_nothing(string header)
    {
        var importId = await StoredImportAsync();
        var name = "inj_" + Guid.NewGuid().ToString("N")[..8];
        var quoted = "\"" + header.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        using var upload = await UploadAsync(name, $"label,{quoted}\none,1\ntwo,2\n");
        if (upload.StatusCode != HttpStatusCode.Created)
        {
            var problem = await upload.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.NotEqual(JsonValueKind.Undefined, problem.GetProperty("errors").ValueKind);
            await AssertNothingExecutedAsync(importId);
            return;
        }
        using (var dataset = await client.GetAsync($"/datasets/{name}"))
        {
            Assert.Equal(HttpStatusCode.OK, dataset.StatusCode);
        }
        using (var filtered = await client.GetAsync($"/datasets/{name}/rows?label={Uri.EscapeDataString(header)}"))
        {
            Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
            Assert.Equal(0, (await filtered.ReadJsonAsync()).GetProperty("data").GetArrayLength());
        }
        using (var ordered = await client.GetAsync($"/datasets/{name}/rows?order_by={Uri.EscapeDataString(header)}"))
        {
            Assert.True(ordered.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)ordered.StatusCode}");
            if (ordered.StatusCode == HttpStatusCode.BadRequest)
            {
                await ordered.AssertProblemAsync(HttpStatusCode.BadRequest);
            }
        }
        using (var rows = await client.GetAsync($"/datasets/{name}/rows"))
        {
            Assert.Equal(2, (await rows.ReadJsonAsync()).GetProperty("data").GetArrayLength());
        }
        await AssertNothingExecutedAsync(importId);
    }

    [BackendTheory]
    [MemberData(nameof(Hostile))]
    public async Task An_order_by_with_SQL_is_400_naming_order_by(string orderBy)
    {
        var name = "ord_" + Guid.NewGuid().ToString("N")[..8];
        using (var upload = await UploadAsync(name, "n,label\n1,one\n2,two\n"))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        using var response = await client.GetAsync($"/datasets/{name}/rows?order_by={Uri.EscapeDataString(orderBy)}");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("order_by", out _), problem.ToString());
        using var rows = await client.GetAsync($"/datasets/{name}/rows");
        Assert.Equal(2, (await rows.ReadJsonAsync()).GetProperty("data").GetArrayLength());
    }

    [BackendTheory]
    [InlineData("../../")]
    [InlineData("..\\..\\")]
    [InlineData("/tmp/")]
    [InlineData("%2e%2e%2f%2e%2e%2f")]
    public async Task A_file_name_with_a_path_writes_nothing_outside_the_spool(string traversal)
    {
        var file = $"evil-{Guid.NewGuid():N}.csv";
        var name = "trav_" + Guid.NewGuid().ToString("N")[..8];
        var body = $"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{traversal}{file}\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--B--\r\n";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=B");
        using var response = await client.PostAsync($"/datasets?name={name}", content);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var spool = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Analyzer.Datasets.DatasetsOptions>>().Value.SpoolDir;
        var places = new[] { Environment.CurrentDirectory, Path.GetTempPath(), "/tmp", AppContext.BaseDirectory }
            .Concat(string.IsNullOrEmpty(spool) ? [] : [spool, Path.GetDirectoryName(spool) ?? spool]);
        foreach (var place in places.Where(Directory.Exists))
        {
            Assert.Empty(Directory.EnumerateFiles(place, file, new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true }));
        }
    }
}
