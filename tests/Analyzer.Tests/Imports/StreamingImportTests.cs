using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

public sealed class SqliteStreamingImportTests(SqliteApp app) : StreamingImportTests<SqliteApp>(app);

public sealed class PostgresStreamingImportTests(PostgresApp app) : StreamingImportTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// A POST's citizens go to the database as they are read; what only the whole import can show (a relation not
/// listed back, an id used twice) is found after most rows were sent. The import must still be refused whole.
/// </summary>
public abstract class StreamingImportTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private HttpClient Client { get; } = app.CreateClient();

    private static JsonObject LargeImport(Action<JsonArray> spoil)
    {
        var body = Citizens.Random(10_000, 1_000, seed: 9, FixedClock.DefaultToday);
        spoil(body["citizens"]!.AsArray());
        return body;
    }

    public static TheoryData<string, string> Spoilers() => new()
    {
        { "the last citizen lists a relative who does not list it back", "citizens[9999].relatives" },
        { "the last citizen reuses the first one's id", "citizens[9999].citizen_id" },
        { "a citizen half-way lacks its name", "citizens[5000].name" },
    };

    [BackendTheory]
    [MemberData(nameof(Spoilers))]
    public async Task An_import_found_invalid_after_its_rows_were_sent_stores_nothing(string spoiler, string path)
    {
        var before = await Client.CreateImportAsync(Import(Citizen(1)));
        var body = LargeImport(citizens =>
        {
            switch (path)
            {
                case "citizens[9999].relatives":
                    var last = citizens[9999]!.AsObject();
                    var relatives = last["relatives"]!.AsArray();
                    var stranger = Enumerable.Range(0, 9999).First(id => !relatives.Any(r => r!.GetValue<int>() == id)
                        && citizens[id]!["relatives"]!.AsArray().All(r => r!.GetValue<int>() != 9999));
                    relatives.Add(stranger);
                    break;
                case "citizens[9999].citizen_id":
                    citizens[9999]!["citizen_id"] = 0;
                    break;
                default:
                    citizens[5000]!.AsObject().Remove("name");
                    break;
            }
        });

        using var response = await Client.PostJsonAsync("/imports", body.ToJsonString());

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"{spoiler}: no error at {path} in {problem}");
        Assert.Equal((0, 0), await app.StoredAfterAsync(before));
    }

    [BackendFact]
    public async Task A_valid_large_import_is_stored_whole()
    {
        var body = LargeImport(_ => { });
        var importId = await Client.CreateImportAsync(body);
        var citizens = await Client.GetCitizensAsync(importId);
        Assert.Equal(10_000, citizens.Count);
        Assert.Equal(body["citizens"]![9999]!["name"]!.GetValue<string>(), citizens[9999]["name"]!.GetValue<string>());
    }
}
