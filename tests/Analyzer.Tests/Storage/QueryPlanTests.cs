using System.Text.Json;
using Analyzer.Analytics;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Storage;

/// <summary>
/// A long-lived database as PostgreSQL's statistics describe it: 20 imports of 10,000 citizens, ANALYZE (what
/// autovacuum does by itself), one more import. With fewer than ~100 imports every old import_id is in the
/// column's most-common values and a new one is estimated at one row; a per-import query that joined citizens
/// to their relatives then ran as a nested loop rescanning the whole import per citizen (2 s instead of 56 ms).
/// Every per-import query must read one range of one table: the plan has no join of any kind, for the new
/// import and for an old one.
/// </summary>
public sealed class QueryPlanTests(PostgresApp app) : IClassFixture<PostgresApp>, IPostgresTests
{
    public static TheoryData<string, string> PerImportQueries() => new()
    {
        { "GET citizens", CitizenStore.SelectCitizens + " ORDER BY citizen_id" },
        { "PATCH reads its citizen", CitizenStore.SelectCitizens + " AND citizen_id = 1" },
        { "birthdays", AnalyticsQueries.KinQuery(SqlDialect.Postgres) },
        { "demand", AnalyticsQueries.PeopleQuery },
        { "courses: buyers", AnalyticsQueries.BuyersQuery(SqlDialect.Postgres) },
        { "courses: channels", AnalyticsQueries.ChannelsQuery },
        { "age percentiles", AnalyticsQueries.TownsQuery },
    };

    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static (long Old, long New)? imports;

    private async Task<(long Old, long New)> AnalyzedImportsAsync()
    {
        await Setup.WaitAsync();
        try
        {
            if (imports is { } ready)
            {
                return ready;
            }
            var client = app.CreateClient();
            var body = Citizens.Random(10_000, 1_000, seed: 5, FixedClock.DefaultToday);
            long old = 0;
            for (var i = 0; i < 20; i++)
            {
                old = await client.CreateImportAsync(body);
            }
            var database = app.Services.GetRequiredService<Database>();
            await using (var session = await database.ConnectAsync(CancellationToken.None))
            {
                await session.ExecuteAsync("ANALYZE", CancellationToken.None);
            }
            imports = (old, await client.CreateImportAsync(body));
            return imports.Value;
        }
        finally
        {
            Setup.Release();
        }
    }

    [BackendTheory]
    [MemberData(nameof(PerImportQueries))]
    public async Task Per_import_queries_scan_one_table_without_a_join_after_ANALYZE(string query, string sql)
    {
        var (old, fresh) = await AnalyzedImportsAsync();
        var database = app.Services.GetRequiredService<Database>();
        foreach (var importId in new[] { fresh, old })
        {
            await using var session = await database.ConnectAsync(CancellationToken.None);
            await using var explain = session.Command("EXPLAIN (FORMAT JSON) " + sql);
            explain.AddParameter("@import_id", importId);
            var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");

            var nodes = Flatten(plan).ToList();
            var joins = nodes.Select(n => n.GetProperty("Node Type").GetString()).Where(t => t is "Nested Loop" or "Hash Join" or "Merge Join").ToList();
            Assert.True(joins.Count == 0, $"{query} (import {importId}) joins: {plan}");
            var relations = nodes.Where(n => n.TryGetProperty("Relation Name", out _)).Select(n => n.GetProperty("Relation Name").GetString()).ToList();
            Assert.Equal(["citizens"], relations);
        }
    }

    /// <summary>The reads that run after <see cref="SqlDialect.InKeyOrder"/>, and the row limit they are given (0: none).</summary>
    public static TheoryData<string, string, long> KeyOrderQueries() => new()
    {
        { "GET citizens of an import not held", CitizenStore.SelectCitizens + " ORDER BY citizen_id", 0 },
        { "reading an import to hold it", ImportSnapshots.SelectSnapshot, 41_944 }, // the rows the default budget allows
    };

    [BackendTheory]
    [MemberData(nameof(KeyOrderQueries))]
    public async Task Reads_in_key_order_follow_the_primary_key_without_sorting_after_ANALYZE(string query, string sql, long most)
    {
        var (old, fresh) = await AnalyzedImportsAsync();
        var database = app.Services.GetRequiredService<Database>();
        foreach (var importId in new[] { fresh, old })
        {
            // As the service runs them: in a read transaction, after the dialect's InKeyOrder.
            await using var session = await database.BeginReadAsync(null, CancellationToken.None);
            await using var explain = session.Command(database.Dialect.InKeyOrder + "EXPLAIN (FORMAT JSON) " + sql);
            explain.AddParameter("@import_id", importId);
            if (most > 0)
            {
                explain.AddParameter("@most", most);
            }
            var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");

            var nodes = Flatten(plan).ToList();
            var types = nodes.Select(n => n.GetProperty("Node Type").GetString()).ToList();
            Assert.True(!types.Contains("Sort") && !types.Contains("Incremental Sort"), $"{query} (import {importId}) sorts: {plan}");
            Assert.DoesNotContain(types, t => t is "Nested Loop" or "Hash Join" or "Merge Join");
            Assert.Contains(nodes, n => n.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "citizens"
                && n.TryGetProperty("Index Name", out var index) && index.GetString() == "citizens_pkey");
        }
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Flatten))
            {
                yield return child;
            }
        }
    }
}
