using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Datasets;

public sealed class SqliteDatasetsApiTests(SqliteApp app) : DatasetsApiTests<SqliteApp>(app);

public sealed class PostgresDatasetsApiTests(PostgresApp app) : DatasetsApiTests<PostgresApp>(app), IPostgresTests;

/// <summary>Section 7: CSV uploads as typed tables, their rows and confirmation links, on each back end.</summary>
public abstract class DatasetsApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    protected HttpClient Client { get; } = app.CreateClient();

    private const string AirportColumns = "airport_id,name,city,country,iata,icao,latitude,longitude,altitude,timezone,dst,tz,type,source";

    private static byte[] Airports => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Datasets", "data", "airports.dat"));

    private Task<HttpResponseMessage> UploadAsync(string query, byte[] csv, string contentType = "text/csv")
    {
        var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return Client.PostAsync("/datasets?" + query, content);
    }

    private async Task<JsonElement> UploadOkAsync(string query, string csv)
    {
        using var response = await UploadAsync(query, Encoding.UTF8.GetBytes(csv));
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return body.GetProperty("data");
    }

    private async Task<JsonElement> GetDataAsync(string path, HttpStatusCode status = HttpStatusCode.OK)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == status, $"GET {path}: {(int)response.StatusCode} {body}");
        return body.GetProperty("data");
    }

    [BackendFact]
    public async Task Airports_load_with_inferred_types_exact_rows_and_their_ddl()
    {
        using var response = await UploadAsync($"name=Airports&header=false&columns={AirportColumns}&null=%5CN", Airports);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.Equal("/datasets/airports", response.Headers.Location?.ToString());
        var data = body.GetProperty("data");
        Assert.Equal("airports", data.GetProperty("name").GetString());
        Assert.Equal(7_698, data.GetProperty("row_count").GetInt64());
        var columns = data.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => (c.GetProperty("type").GetString(), c.GetProperty("nullable").GetBoolean()));
        Assert.Equal(("integer", false), columns["airport_id"]);
        Assert.Equal("float", columns["latitude"].Item1);
        Assert.Equal("float", columns["longitude"].Item1);
        Assert.Equal("float", columns["timezone"].Item1);
        Assert.Equal("integer", columns["altitude"].Item1);
        Assert.Equal(("text", true), columns["iata"]);
        Assert.Equal(AirportColumns.Split(','), columns.Keys);
        var ddl = data.GetProperty("ddl").GetString()!;
        // The table lives in the datasets' namespace: a schema on PostgreSQL, a name prefix on SQLite.
        Assert.StartsWith(app.DatabaseUrl.StartsWith("postgresql", StringComparison.Ordinal)
            ? "CREATE TABLE \"datasets\".\"airports\" ("
            : "CREATE TABLE \"datasets.airports\" (", ddl, StringComparison.Ordinal);
        Assert.Contains("\"airport_id\" " + (app.DatabaseUrl.StartsWith("postgresql", StringComparison.Ordinal) ? "bigint NOT NULL" : "INTEGER NOT NULL"), ddl, StringComparison.Ordinal);
        Assert.Contains("\"deleted_at\"", ddl, StringComparison.Ordinal);

        using var ddlResponse = await Client.GetAsync("/datasets/airports/ddl");
        Assert.Equal("text/plain", ddlResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ddl + "\n", await ddlResponse.Content.ReadAsStringAsync());

        var goroka = (await GetDataAsync("/datasets/airports/rows?iata=GKA"))[0];
        Assert.Equal(1, goroka.GetProperty("airport_id").GetInt64());
        Assert.Equal("Goroka Airport", goroka.GetProperty("name").GetString());
        Assert.Equal(-6.081689834590001, goroka.GetProperty("latitude").GetDouble());
        Assert.Equal(145.391998291, goroka.GetProperty("longitude").GetDouble());
        Assert.Equal(5282, goroka.GetProperty("altitude").GetInt64());
        Assert.Equal(10, goroka.GetProperty("timezone").GetDouble());
        Assert.Equal("Pacific/Port_Moresby", goroka.GetProperty("tz").GetString());
        Assert.Equal(JsonValueKind.Null, goroka.GetProperty("deleted_at").ValueKind);

        var listed = await GetDataAsync("/datasets");
        Assert.Contains(listed.EnumerateArray(), d => d.GetProperty("name").GetString() == "airports" && d.GetProperty("source_file").ValueKind == JsonValueKind.Null);
    }

    [BackendFact]
    public async Task Every_type_is_stored_and_read_back_exactly()
    {
        var data = await UploadOkAsync("name=typed",
            "n,f,b,d,t,s\n" +
            "-9223372036854775808,1.5,true,2024-01-02,2024-05-01T10:20:30.123456Z,x\n" +
            "9223372036854775807,-2e3,FALSE,31.12.1999,2024-05-01 12:00+02:00,\"\"\n" +
            ",,,,,\n");
        Assert.Equal(["integer", "float", "boolean", "date", "timestamp", "text"],
            data.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
        var rows = await GetDataAsync("/datasets/typed/rows");
        Assert.Equal(
            """[{"id":1,"n":-9223372036854775808,"f":1.5,"b":true,"d":"2024-01-02","t":"2024-05-01T10:20:30.123456Z","s":"x","deleted_at":null},"""
            + """{"id":2,"n":9223372036854775807,"f":-2000,"b":false,"d":"1999-12-31","t":"2024-05-01T10:00:00Z","s":"","deleted_at":null},"""
            + """{"id":3,"n":null,"f":null,"b":null,"d":null,"t":null,"s":null,"deleted_at":null}]""",
            rows.GetRawText()); // microseconds: PostgreSQL's timestamp precision
    }

    [BackendFact]
    public async Task Multipart_upload_takes_its_name_from_the_file_and_upload_is_an_alias()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("code;Город;price\nA1;Москва;1.5\nB2;Тверь;2\n")), "file", "Price List.csv");
        using var response = await Client.PostAsync("/upload", form);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        var data = body.GetProperty("data");
        Assert.Equal("price_list", data.GetProperty("name").GetString());
        Assert.Equal("float", data.GetProperty("columns")[2].GetProperty("type").GetString());
        var dataset = await GetDataAsync("/datasets/price_list");
        Assert.Equal("Price List.csv", dataset.GetProperty("source_file").GetString());
        var rows = await GetDataAsync("/datasets/price_list/rows?order_by=-price");
        Assert.Equal("B2", rows[0].GetProperty("code").GetString());
        Assert.Equal("Москва", rows[1].EnumerateObject().ElementAt(2).Value.GetString());
    }

    [BackendFact]
    public async Task Create_twice_is_409_replace_swaps_the_table_and_append_adds_rows()
    {
        await UploadOkAsync("name=modes", "a,b\n1,x\n2,y\n");
        using (var again = await UploadAsync("name=modes", Encoding.UTF8.GetBytes("a,b\n3,z\n")))
        {
            await again.AssertProblemAsync(HttpStatusCode.Conflict);
        }
        var appended = await UploadOkAsync("name=modes&mode=append", "a,b\n3,z\n");
        Assert.Equal(3, appended.GetProperty("row_count").GetInt64());
        using (var incompatible = await UploadAsync("name=modes&mode=append", Encoding.UTF8.GetBytes("a,b\nnot a number,z\n")))
        {
            await incompatible.AssertProblemAsync(HttpStatusCode.BadRequest);
        }
        Assert.Equal(3, (await GetDataAsync("/datasets/modes")).GetProperty("row_count").GetInt64());

        var replaced = await UploadOkAsync("name=modes&mode=replace", "c\ntrue\nfalse\n");
        Assert.Equal("boolean", replaced.GetProperty("columns")[0].GetProperty("type").GetString());
        var rows = await GetDataAsync("/datasets/modes/rows");
        Assert.Equal([true, false], rows.EnumerateArray().Select(r => r.GetProperty("c").GetBoolean()));
    }

    public static TheoryData<string, string, byte[]> BadUploads() => new()
    {
        { "invalid UTF-8 names its line", "line 3", [.. "a,b\n1,2\n"u8, 0x33, 0xff, 0x2c, 0x34, 0x0a] },
        { "a ragged row names its line", "line 3", "a,b\n1,2\n3\n"u8.ToArray() },
        { "an unterminated quote", "line 2", "a,b\n\"1,2\n3,4\n"u8.ToArray() },
        { "more than 1,600 columns", "1,600", Encoding.ASCII.GetBytes(string.Join(',', Enumerable.Range(0, 1_601).Select(i => $"c{i}")) + "\n") },
        { "an empty file", "empty", [] },
    };

    [BackendTheory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_file_is_400_with_its_line_and_leaves_nothing_behind(string rule, string mentioned, byte[] csv)
    {
        var name = "bad_" + Guid.NewGuid().ToString("N")[..8];
        using var response = await UploadAsync($"name={name}", csv);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").GetProperty("file")[0].GetString()!.Contains(mentioned, StringComparison.Ordinal), $"{rule}: {problem}");
        using var dataset = await Client.GetAsync($"/datasets/{name}");
        await dataset.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [BackendTheory]
    [InlineData("name=x&delimiter=%23", "delimiter")]
    [InlineData("name=x&mode=merge", "mode")]
    [InlineData("name=x&header=maybe", "header")]
    public async Task Bad_parameters_are_400(string query, string field)
    {
        using var response = await UploadAsync(query, "a\n1\n"u8.ToArray());
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    /// <summary>
    /// Row requests racing uploads that replace the dataset with other columns, and drops: each request reads
    /// the catalog entry under the lock of its SQL, so every answer is a 2xx or a 4xx (404 while the dataset is
    /// gone, 400 for values of the other column set), never a 500.
    /// </summary>
    [BackendFact]
    public async Task Row_requests_racing_replaces_and_drops_never_fail_with_500()
    {
        const string name = "racing";
        string[] layouts = ["a,b\n1,x\n2,y\n", "b,c,d\n1.5,true,2024-01-01\n"];
        await UploadOkAsync($"name={name}", layouts[0]);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(string Request, int Status)>();

        async Task SendAsync(HttpMethod method, string path, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }
            using var response = await Client.SendAsync(request);
            statuses.Add(($"{method} {path}", (int)response.StatusCode));
        }

        var writer = Task.Run(async () =>
        {
            for (var round = 0; round < 12; round++)
            {
                if (round % 4 == 3)
                {
                    await SendAsync(HttpMethod.Delete, $"/datasets/{name}");
                }
                using var upload = await UploadAsync($"name={name}&mode=replace", Encoding.UTF8.GetBytes(layouts[round % 2]));
                statuses.Add(("upload", (int)upload.StatusCode));
            }
        });
        var readers = Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                await SendAsync(HttpMethod.Get, $"/datasets/{name}/rows?order_by=b&b=1");
                await SendAsync(HttpMethod.Get, $"/datasets/{name}/rows/1");
                await SendAsync(HttpMethod.Put, $"/datasets/{name}/rows", """{"a": 3, "b": "z"}""");
                await SendAsync(HttpMethod.Patch, $"/datasets/{name}/rows/1", """{"b": "w"}""");
                await SendAsync(HttpMethod.Get, $"/datasets/{name}/rows/2/update?b=v");
                await SendAsync(HttpMethod.Delete, $"/datasets/{name}/rows/2");
                await SendAsync(HttpMethod.Post, $"/datasets/{name}/rows/2/restore");
            }
        }));
        await Task.WhenAll([writer, .. readers]);

        var failures = statuses.Where(s => s.Status >= 500).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {statuses.Count} answers were 5xx: {string.Join("; ", failures.Take(10))}");
        Assert.Equal(12 + 3 + 4 * 15 * 7, statuses.Count); // every request was answered
    }

    /// <summary>A write that finds no row to change (missing, or already flagged) changes nothing, not even updated_at.</summary>
    [BackendFact]
    public async Task Writes_that_find_nothing_to_change_leave_the_dataset_untouched()
    {
        await UploadOkAsync("name=untouched&mode=replace", "a\n1\n");
        using (var first = await Client.DeleteAsync("/datasets/untouched/rows/1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }
        var before = (await GetDataAsync("/datasets/untouched")).GetProperty("updated_at").GetString();
        var now = app.Clock.Now;
        app.Clock.Now = now.AddMinutes(5);
        try
        {
            using (var missing = await Client.DeleteAsync("/datasets/untouched/rows/999"))
            {
                await missing.AssertProblemAsync(HttpStatusCode.NotFound);
            }
            using (var again = await Client.DeleteAsync("/datasets/untouched/rows/1"))
            {
                Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
            }
            using (var restoreMissing = await Client.PostAsync("/datasets/untouched/rows/999/restore", null))
            {
                await restoreMissing.AssertProblemAsync(HttpStatusCode.NotFound);
            }
            Assert.Equal(before, (await GetDataAsync("/datasets/untouched")).GetProperty("updated_at").GetString());

            using (var restore = await Client.PostAsync("/datasets/untouched/rows/1/restore", null))
            {
                Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
            }
            Assert.NotEqual(before, (await GetDataAsync("/datasets/untouched")).GetProperty("updated_at").GetString());
        }
        finally
        {
            app.Clock.Now = now;
        }
    }

    /// <summary>
    /// Both back ends accept the same widths: rows up to PostgreSQL's 8,160 bytes are stored, wider ones are a
    /// 400 that states the limit (900 integer columns fit; 1,100 do not), and nothing is created.
    /// </summary>
    [BackendTheory]
    [InlineData(900, true)]
    [InlineData(1_100, false)]
    public async Task Rows_wider_than_a_page_are_refused_on_both_back_ends(int columns, bool stored)
    {
        var name = $"wide_{columns}";
        var header = string.Join(',', Enumerable.Range(1, columns).Select(i => $"c{i}"));
        var row = string.Join(',', Enumerable.Range(1, columns).Select(i => (i * 1_000_003L).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var response = await UploadAsync($"name={name}", Encoding.UTF8.GetBytes($"{header}\n{row}\n{row}\n"));

        if (stored)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var first = Assert.Single((await GetDataAsync($"/datasets/{name}/rows?limit=1")).EnumerateArray());
            Assert.Equal(1_000_003L * columns, first.GetProperty($"c{columns}").GetInt64());
        }
        else
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains("at most 8,160", problem.GetProperty("errors").GetProperty("file")[0].GetString(), StringComparison.Ordinal);
            using var dataset = await Client.GetAsync($"/datasets/{name}");
            await dataset.AssertProblemAsync(HttpStatusCode.NotFound);
        }
    }

    /// <summary>
    /// A European file: ';' between fields and decimal commas. Detected per column (or forced with decimal=,), the
    /// prices are floats that sort by value, and dates as DD.MM.YYYY still work; decimal=. keeps them text.
    /// </summary>
    [BackendTheory]
    [InlineData("")]
    [InlineData("&decimal=%2C")]
    public async Task Decimal_commas_make_float_columns(string option)
    {
        const string csv = "article;price;total;day\nA;1,25;1.234,00;31.12.2024\nB;10,5;12,00;01.01.2025\nC;2;999,99;15.06.2024\n";
        var name = "european" + (option.Length > 0 ? "_forced" : "");
        var data = await UploadOkAsync($"name={name}{option}", csv);

        var types = data.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("float", types["price"]);
        Assert.Equal("float", types["total"]);
        Assert.Equal("date", types["day"]);
        var rows = (await GetDataAsync($"/datasets/{name}/rows?order_by=-price")).EnumerateArray().ToList();
        Assert.Equal(["B", "C", "A"], rows.Select(r => r.GetProperty("article").GetString()));
        Assert.Equal(1234.0, rows[2].GetProperty("total").GetDouble());
        Assert.Equal(10.5, rows[0].GetProperty("price").GetDouble());

        var asWritten = await UploadOkAsync($"name={name}_point&decimal=.", csv);
        Assert.Equal("text", asWritten.GetProperty("columns")[1].GetProperty("type").GetString());

        using var bad = await UploadAsync($"name={name}_bad&decimal=x", Encoding.UTF8.GetBytes(csv));
        var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("decimal", out _), problem.ToString());
    }

    /// <summary>Dataset tables live in a namespace of their own: the names of the service's tables are free to take.</summary>
    [BackendTheory]
    [InlineData("citizens")]
    [InlineData("schema_migrations")]
    [InlineData("datasets")]
    [InlineData("pg_class")]
    [InlineData("sqlite_master")]
    public async Task Datasets_named_like_the_service_tables_live_beside_them(string name)
    {
        var data = await UploadOkAsync($"name={name}&mode=replace", "citizen_id,note\n1,mine\n");
        Assert.Equal(name, data.GetProperty("name").GetString());

        var rows = await GetDataAsync($"/datasets/{name}/rows");
        Assert.Equal("mine", Assert.Single(rows.EnumerateArray()).GetProperty("note").GetString());
        // The service's own tables are untouched: an import still goes in and comes out.
        var importId = await Client.CreateImportAsync(Citizens.ContractExample());
        Assert.Equal(3, (await Client.GetCitizensAsync(importId)).Count);

        using var drop = await Client.DeleteAsync($"/datasets/{name}");
        Assert.Equal(HttpStatusCode.NoContent, drop.StatusCode);
        Assert.Equal(3, (await Client.GetCitizensAsync(importId)).Count);
    }

    [BackendFact]
    public async Task A_header_only_file_is_an_empty_table_of_text_columns()
    {
        var data = await UploadOkAsync("name=header_only", "first,second\n");
        Assert.Equal(0, data.GetProperty("row_count").GetInt64());
        Assert.All(data.GetProperty("columns").EnumerateArray(), c => Assert.Equal("text", c.GetProperty("type").GetString()));
        Assert.Equal(0, (await GetDataAsync("/datasets/header_only/rows")).GetArrayLength());
    }

    [BackendFact]
    public async Task Unsupported_content_type_is_415()
    {
        using var response = await Client.PostAsync("/datasets?name=x", new StringContent("{}", Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    private async Task<string> NumbersAsync()
    {
        var name = "numbers_" + Guid.NewGuid().ToString("N")[..8];
        var csv = new StringBuilder("n,square,label,day\n");
        for (var i = 1; i <= 25; i++)
        {
            // The last row has no day: day is a nullable date column.
            var day = i < 25 ? "2024-01-" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture) : "";
            csv.Append(i).Append(',').Append(i * i).Append(',').Append(i % 2 == 0 ? "even" : "odd").Append(',').Append(day).Append('\n');
        }
        await UploadOkAsync($"name={name}", csv.ToString());
        return name;
    }

    [BackendFact]
    public async Task Rows_filter_by_typed_values_order_and_paginate_by_keyset_and_offset()
    {
        var name = await NumbersAsync();
        Assert.Equal([2, 4, 6], (await GetDataAsync($"/datasets/{name}/rows?label=even&limit=3")).EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));
        Assert.Equal([49], (await GetDataAsync($"/datasets/{name}/rows?n=7")).EnumerateArray().Select(r => r.GetProperty("square").GetInt32()));
        Assert.Equal([5], (await GetDataAsync($"/datasets/{name}/rows?day=2024-01-05")).EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));
        Assert.Equal([25, 24], (await GetDataAsync($"/datasets/{name}/rows?order_by=-square&limit=2")).EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));

        var seen = new List<int>();
        var next = $"/datasets/{name}/rows?limit=10";
        while (next is not null)
        {
            using var response = await Client.GetAsync(next);
            var body = await response.ReadJsonAsync();
            seen.AddRange(body.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));
            next = body.GetProperty("next").GetString();
        }
        Assert.Equal(Enumerable.Range(1, 25), seen);
        Assert.Equal([11, 12], (await GetDataAsync($"/datasets/{name}/rows?order_by=n&offset=10&limit=2")).EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));
    }

    [BackendTheory]
    [InlineData("n=seven", "n")]
    [InlineData("nope=1", "nope")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=10001", "limit")]
    [InlineData("order_by=nope", "order_by")]
    [InlineData("after=3&offset=1", "after")]
    public async Task Bad_row_queries_are_400_naming_the_parameter(string query, string field)
    {
        var name = await NumbersAsync();
        using var response = await Client.GetAsync($"/datasets/{name}/rows?{query}");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [BackendFact]
    public async Task Put_patch_soft_delete_restore_and_purge_a_row()
    {
        var name = await NumbersAsync();
        using var created = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/datasets/{name}/rows")
        {
            Content = ApiClient.Json("""{"n": 100, "square": 10000, "label": "big", "day": "31.12.2024"}"""),
        });
        var row = await created.ReadJsonAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, row.ToString());
        var id = row.GetProperty("data").GetProperty("id").GetInt64();
        Assert.Equal($"/datasets/{name}/rows/{id}", created.Headers.Location?.ToString());
        Assert.Equal("2024-12-31", row.GetProperty("data").GetProperty("day").GetString());

        using var patched = await Client.PatchJsonAsync($"/datasets/{name}/rows/{id}", """{"label": "huge", "day": null}""");
        var changed = (await patched.ReadJsonAsync()).GetProperty("data");
        Assert.Equal("huge", changed.GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Null, changed.GetProperty("day").ValueKind);

        using (var deleted = await Client.DeleteAsync($"/datasets/{name}/rows/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Empty((await GetDataAsync($"/datasets/{name}/rows?n=100")).EnumerateArray());
        var hidden = (await GetDataAsync($"/datasets/{name}/rows?n=100&include_deleted=true"))[0];
        Assert.NotEqual(JsonValueKind.Null, hidden.GetProperty("deleted_at").ValueKind);

        using (var restored = await Client.PostAsync($"/datasets/{name}/rows/{id}/restore", null))
        {
            Assert.Equal(JsonValueKind.Null, (await restored.ReadJsonAsync()).GetProperty("data").GetProperty("deleted_at").ValueKind);
        }
        Assert.Single((await GetDataAsync($"/datasets/{name}/rows?n=100")).EnumerateArray());

        var byLink = await GetDataAsync($"/datasets/{name}/rows/{id}/delete");
        Assert.NotEqual(JsonValueKind.Null, byLink.GetProperty("deleted_at").ValueKind);

        using (var purged = await Client.DeleteAsync($"/datasets/{name}/rows/{id}?purge=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);
        }
        using var gone = await Client.GetAsync($"/datasets/{name}/rows/{id}");
        await gone.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(25, (await GetDataAsync($"/datasets/{name}")).GetProperty("row_count").GetInt64());
    }

    [BackendTheory]
    [InlineData("""{"n": "1", "square": 1, "label": "x"}""", "n")]
    [InlineData("""{"n": 1.5, "square": 1, "label": "x"}""", "n")]
    [InlineData("""{"n": null, "square": 1, "label": "x"}""", "n")]
    [InlineData("""{"square": 1, "label": "x"}""", "n")]
    [InlineData("""{"n": 1, "square": 1, "label": "x", "colour": "red"}""", "colour")]
    [InlineData("""{"n": 1, "square": 1, "label": "x", "day": "yesterday"}""", "day")]
    [InlineData("""{"n": 1, "square": 1, "label": 5}""", "label")]
    [InlineData("""{"id": 5, "n": 1, "square": 1, "label": "x"}""", "id")]
    public async Task A_bad_row_is_400_naming_the_column_and_changes_nothing(string json, string column)
    {
        var name = await NumbersAsync();
        using var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/datasets/{name}/rows") { Content = ApiClient.Json(json) });
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(column, out _), problem.ToString());
        Assert.Equal(25, (await GetDataAsync($"/datasets/{name}")).GetProperty("row_count").GetInt64());
    }

    [BackendFact]
    public async Task A_confirmation_link_applies_its_change_once()
    {
        var name = await NumbersAsync();
        var requested = await GetDataAsync($"/datasets/{name}/rows/create?n=500&square=250000&label=linked", HttpStatusCode.Accepted);
        Assert.Equal("create", requested.GetProperty("action").GetString());
        var confirm = new Uri(requested.GetProperty("confirm_url").GetString()!).PathAndQuery;
        Assert.Empty((await GetDataAsync($"/datasets/{name}/rows?n=500")).EnumerateArray());

        using (var applied = await Client.GetAsync(confirm))
        {
            var row = await applied.ReadJsonAsync();
            Assert.True(applied.StatusCode == HttpStatusCode.Created, row.ToString());
            Assert.Equal("linked", row.GetProperty("data").GetProperty("label").GetString());
        }
        using (var twice = await Client.PostAsync(confirm, null))
        {
            await twice.AssertProblemAsync(HttpStatusCode.Gone);
        }
        Assert.Single((await GetDataAsync($"/datasets/{name}/rows?n=500")).EnumerateArray());

        using (var forged = await Client.GetAsync(confirm[..^4] + "AAAA"))
        {
            await forged.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        var id = (await GetDataAsync($"/datasets/{name}/rows?n=1"))[0].GetProperty("id").GetInt64();
        var update = await GetDataAsync($"/datasets/{name}/rows/{id}/update?label=one", HttpStatusCode.Accepted);
        using (var updated = await Client.PostAsync(new Uri(update.GetProperty("confirm_url").GetString()!).PathAndQuery, null))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            Assert.Equal("one", (await updated.ReadJsonAsync()).GetProperty("data").GetProperty("label").GetString());
        }
    }

    [BackendFact]
    public async Task An_expired_confirmation_link_is_404_and_a_bad_requested_change_is_400()
    {
        var name = await NumbersAsync();
        var requested = await GetDataAsync($"/datasets/{name}/rows/create?n=600&square=360000&label=late", HttpStatusCode.Accepted);
        app.Clock.Now = app.Clock.Now.AddHours(25);
        try
        {
            using var expired = await Client.GetAsync(new Uri(requested.GetProperty("confirm_url").GetString()!).PathAndQuery);
            await expired.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        finally
        {
            app.Clock.Today = FixedClock.DefaultToday;
        }
        using var bad = await Client.GetAsync($"/datasets/{name}/rows/create?n=x&label=y");
        var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("n", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("square", out _));
    }

    [BackendTheory]
    [InlineData("/datasets", "GET, POST, OPTIONS")]
    [InlineData("/datasets/x", "GET, DELETE, OPTIONS")]
    [InlineData("/datasets/x/rows", "GET, PUT, OPTIONS")]
    [InlineData("/datasets/x/rows/1", "GET, PATCH, DELETE, OPTIONS")]
    [InlineData("/datasets/x/rows/1/restore", "POST, OPTIONS")]
    [InlineData("/confirmations/abc", "GET, POST, OPTIONS")]
    public async Task Options_lists_the_methods_of_dataset_routes(string path, string allow)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(allow.Split(", ").Order(), response.Content.Headers.Allow.Order());
    }

    [BackendFact]
    public async Task Dropping_a_dataset_removes_its_table()
    {
        await UploadOkAsync("name=dropped", "a\n1\n");
        using (var dropped = await Client.DeleteAsync("/datasets/dropped"))
        {
            Assert.Equal(HttpStatusCode.NoContent, dropped.StatusCode);
        }
        using (var gone = await Client.GetAsync("/datasets/dropped/rows"))
        {
            await gone.AssertProblemAsync(HttpStatusCode.NotFound);
        }
        await UploadOkAsync("name=dropped", "b\ntrue\n");
    }

    private static readonly string[] Pieces = ["a", "b", "X", " ", ",", ";", "\"", "'", "\n", "\r", "\r\n", "\t", "ё", "Ж", "🙂", "|", "\\", "\\N"];

    /// <summary>A table of a text column (never empty, so it stays text), a 64-bit integer column and a nullable text column.</summary>
    private static readonly Gen<(string Text, long Number, string? Maybe)[]> Tables =
        Gen.ArrayOf(
            from text in Gen.ListOf(Gen.Elements(Pieces)).Select(pieces => "t" + string.Concat(pieces))
            from number in ArbMap.Default.GeneratorFor<long>()
            from maybe in Gen.Frequency(
                (1, Gen.Constant<string?>(null)),
                (1, Gen.Constant<string?>("")),
                (3, Gen.ListOf(Gen.Elements(Pieces)).Select(pieces => (string?)("m" + string.Concat(pieces)))))
            select (text, number, maybe));

    [BackendFact]
    public async Task Random_tables_round_trip_through_upload_and_rows()
    {
        // FsCheck properties are synchronous: run them off the test's synchronisation context.
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(Arb.From(Tables), rows =>
        {
            var csv = new StringBuilder("text,number,maybe\r\n");
            foreach (var (text, number, maybe) in rows)
            {
                csv.Append(Quote(text)).Append(',').Append(number).Append(',').Append(maybe is null ? "" : Quote(maybe)).Append("\r\n");
            }
            var name = "random_" + Guid.NewGuid().ToString("N")[..10];
            UploadOkAsync($"name={name}", csv.ToString()).GetAwaiter().GetResult();
            var stored = GetDataAsync($"/datasets/{name}/rows?limit=10000").GetAwaiter().GetResult();
            Assert.Equal(
                rows,
                stored.EnumerateArray().Select(r => (r.GetProperty("text").GetString()!, r.GetProperty("number").GetInt64(), r.GetProperty("maybe").GetString())));
        })));

        static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
