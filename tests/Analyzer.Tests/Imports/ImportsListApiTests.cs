using System.Net;
using System.Text.Json;
using Analyzer.Auth;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

public sealed class SqliteImportsListApiTests(SqliteApp app) : ImportsListApiTests<SqliteApp>(app);

public sealed class PostgresImportsListApiTests(PostgresApp app) : ImportsListApiTests<PostgresApp>(app), IPostgresTests;

/// <summary><c>GET /imports</c>, <c>GET /imports/{id}</c> and <c>DELETE /imports/{id}</c> on each back end.</summary>
public abstract class ImportsListApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task Imports_are_listed_newest_first_a_keyset_page_at_a_time()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Client.CreateImportAsync(ContractExample()));
        }
        using (var patched = await Client.PatchJsonAsync($"/imports/{ids[1]}/citizens/3", """{"name": "Иванова"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var seen = new List<JsonElement>();
        var next = "/imports?limit=1";
        var document = await ApiDocument.LoadAsync(Client);
        while (next is not null && seen.Count < 3)
        {
            using var response = await Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await document.AssertDocumentedAsync(response, "/imports");
            var page = await response.ReadJsonAsync();
            seen.Add(Assert.Single(page.GetProperty("data").EnumerateArray()));
            next = page.GetProperty("next").GetString();
        }

        Assert.Equal(ids.AsEnumerable().Reverse(), seen.Select(s => s.GetProperty("import_id").GetInt64()));
        Assert.All(seen, s =>
        {
            Assert.Equal(3, s.GetProperty("citizens").GetInt64());
            Assert.Equal(2, s.GetProperty("towns").GetInt64());
            Assert.True(s.GetProperty("created_at").GetDateTime() > DateTime.UtcNow.AddHours(-1));
            Assert.EndsWith("Z", s.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal([0L, 1L, 0L], seen.Select(s => s.GetProperty("version").GetInt64()));
        Assert.Equal($"/imports?limit=1&after={ids[1]}", await NextAfterAsync($"/imports?limit=1&after={ids[2]}"));
    }

    private async Task<string?> NextAfterAsync(string url)
    {
        using var response = await Client.GetAsync(url);
        return (await response.ReadJsonAsync()).GetProperty("next").GetString();
    }

    [BackendFact]
    public async Task The_last_page_has_no_next_link()
    {
        var first = await Client.CreateImportAsync(ContractExample());
        using var response = await Client.GetAsync($"/imports?after={first}&limit=1000");
        var page = await response.ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        Assert.DoesNotContain(page.GetProperty("data").EnumerateArray(), s => s.GetProperty("import_id").GetInt64() >= first);
    }

    [BackendTheory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=x", "limit")]
    [InlineData("after=-1", "after")]
    [InlineData("after=", "after")]
    public async Task Bad_paging_parameters_are_a_400_naming_them(string query, string parameter)
    {
        using var response = await Client.GetAsync("/imports?" + query);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [BackendFact]
    public async Task One_import_has_its_towns_with_their_citizen_counts()
    {
        var id = await Client.CreateImportAsync(ContractExample());

        using var response = await Client.GetAsync($"/imports/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await (await ApiDocument.LoadAsync(Client)).AssertDocumentedAsync(response, "/imports/{import_id}");
        var data = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(id, data.GetProperty("import_id").GetInt64());
        Assert.Equal(3, data.GetProperty("citizens").GetInt64());
        Assert.Equal(
            ["Москва:2", "Керчь:1"],
            data.GetProperty("town_citizens").EnumerateArray().Select(t => $"{t.GetProperty("town").GetString()}:{t.GetProperty("citizens").GetInt64()}").OrderDescending());
    }

    [BackendFact]
    public async Task An_empty_import_has_no_towns()
    {
        var id = await Client.CreateImportAsync(Import());
        using var response = await Client.GetAsync($"/imports/{id}");
        var data = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(0, data.GetProperty("citizens").GetInt64());
        Assert.Equal(0, data.GetProperty("towns").GetInt64());
        Assert.Empty(data.GetProperty("town_citizens").EnumerateArray());
    }

    [BackendTheory]
    [InlineData("/imports/999999999")]
    [InlineData("/imports/99999999999999999999999")]
    public async Task An_unknown_import_is_a_404_problem(string path)
    {
        using var read = await Client.GetAsync(path);
        await read.AssertProblemAsync(HttpStatusCode.NotFound);
        using var deleted = await Client.DeleteAsync(path);
        await deleted.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendFact]
    public async Task Deleting_an_import_removes_it_its_citizens_and_its_answers()
    {
        var kept = await Client.CreateImportAsync(ContractExample());
        var id = await Client.CreateImportAsync(ContractExample());
        using (var birthdays = await Client.GetAsync($"/imports/{id}/citizens/birthdays"))
        {
            Assert.Equal(HttpStatusCode.OK, birthdays.StatusCode); // now cached
        }

        using var response = await Client.DeleteAsync($"/imports/{id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        foreach (var path in new[] { $"/imports/{id}", $"/imports/{id}/citizens", $"/imports/{id}/citizens/birthdays", $"/imports/{id}/towns/stat/percentile/age" })
        {
            using var gone = await Client.GetAsync(path);
            await gone.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        using (var patch = await Client.PatchJsonAsync($"/imports/{id}/citizens/1", """{"name": "x"}"""))
        {
            await patch.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        using (var again = await Client.DeleteAsync($"/imports/{id}"))
        {
            await again.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        using var list = await Client.GetAsync("/imports?limit=1000");
        var listed = (await list.ReadJsonAsync()).GetProperty("data").EnumerateArray().Select(s => s.GetProperty("import_id").GetInt64()).ToList();
        Assert.DoesNotContain(id, listed);
        Assert.Contains(kept, listed);
        Assert.Equal(3, (await Client.GetCitizensAsync(kept)).Count);
        var newer = await Client.CreateImportAsync(ContractExample());
        Assert.True(newer > id, "an id was reused");
    }
}

public sealed class SqliteImportsDeleteScopeTests(SqliteAuthApp app) : ImportsDeleteScopeTests<SqliteAuthApp>(app);

public sealed class PostgresImportsDeleteScopeTests(PostgresAuthApp app) : ImportsDeleteScopeTests<PostgresAuthApp>(app), IPostgresTests;

/// <summary>With authentication on, listing needs analyzer:read and deleting analyzer:admin.</summary>
public abstract class ImportsDeleteScopeTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client(params string[] scopes)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestKeys.Issue(scopes).Token);
        return client;
    }

    [BackendFact]
    public async Task Deleting_needs_the_admin_scope_and_listing_the_read_scope()
    {
        using var writer = Client(Scopes.Read, Scopes.Write);
        var id = await writer.CreateImportAsync(ContractExample());

        using (var refused = await writer.DeleteAsync($"/imports/{id}"))
        {
            await refused.AssertProblemAsync(HttpStatusCode.Forbidden);
        }
        using (var listed = await Client(Scopes.Write).GetAsync("/imports"))
        {
            await listed.AssertProblemAsync(HttpStatusCode.Forbidden);
        }
        using (var anonymous = await app.CreateClient().GetAsync($"/imports/{id}"))
        {
            await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
        using (var read = await writer.GetAsync($"/imports/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using var deleted = await Client(Scopes.Admin).DeleteAsync($"/imports/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }
}
