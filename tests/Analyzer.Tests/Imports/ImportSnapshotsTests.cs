using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Analyzer.Tests.Imports;

public sealed class SqliteImportSnapshotsTests(SqliteApp app) : ImportSnapshotsTests<SqliteApp>(app);

public sealed class PostgresImportSnapshotsTests(PostgresApp app) : ImportSnapshotsTests<PostgresApp>(app), IPostgresTests;

/// <summary>
/// Imports held in memory (Imports/ImportSnapshots) answer exactly as the database does, through PATCHes made by this
/// replica and by others: several replicas of the service on one database, one of them holding nothing
/// (--citizen-cache-mb 0), whose answers are the database's. Answers are compared byte for byte.
/// </summary>
public abstract class ImportSnapshotsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private static readonly string[] Reads =
    [
        "/citizens", "/citizens/birthdays", "/towns/stat/percentile/age", "/citizens/courses", "/citizens/courses?by=channel,month",
        "/stat/demand", "/stat/demand?by=town,age_group,channel",
    ];

    private const int Count = 300;

    /// <summary>Another replica on the app's database and clock, holding at most <paramref name="citizenCacheMb"/> MiB of imports.</summary>
    private WebApplicationFactory<Program> Replica(int citizenCacheMb) => app.WithWebHostBuilder(builder =>
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(
            new Dictionary<string, string?> { ["Analyzer:CITIZEN_CACHE_MB"] = citizenCacheMb.ToString(System.Globalization.CultureInfo.InvariantCulture) })));

    /// <summary>A random import with relatives, friends and channels (some null).</summary>
    private static JsonObject ImportWithFriends(int seed)
    {
        var random = new Random(seed);
        var body = Citizens.Random(Count, 150, seed, FixedClock.DefaultToday);
        var friends = Enumerable.Range(0, Count).Select(_ => new SortedSet<int>()).ToArray();
        for (var pair = 0; pair < 120; pair++)
        {
            var (a, b) = (random.Next(Count), random.Next(Count));
            friends[a].Add(b);
            friends[b].Add(a);
        }
        foreach (var citizen in body["citizens"]!.AsArray())
        {
            var id = citizen!["citizen_id"]!.GetValue<int>();
            citizen["friends"] = new JsonArray([.. friends[id].Select(f => (JsonNode)f)]);
            citizen["channel"] = random.Next(4) == 0 ? null : $"channel {random.Next(3)}";
        }
        return body;
    }

    private static JsonObject RandomPatch(Random random, bool withFriends)
    {
        JsonArray Some() => [.. Enumerable.Range(0, random.Next(6)).Select(_ => (JsonNode)random.Next(Count)).Distinct().Select(n => n!.DeepClone())];
        var patch = new JsonObject();
        switch (random.Next(withFriends ? 6 : 4))
        {
            case 0: patch["relatives"] = Some(); break;
            case 1: patch["town"] = $"Город {random.Next(25)}"; patch["relatives"] = Some(); break;
            case 2: patch["birth_date"] = FixedClock.DefaultToday.AddDays(-random.Next(0, 80 * 366)).ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture); break;
            case 3: patch["name"] = $"Житель {random.Next()}"; patch["apartment"] = random.Next(1, 99); break;
            case 4: patch["friends"] = Some(); break;
            default: patch["channel"] = random.Next(3) == 0 ? null : $"channel {random.Next(5)}"; break;
        }
        return patch;
    }

    private static async Task<string> ReadAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every read of the import through <paramref name="replica"/> equals the one through <paramref name="database"/>.</summary>
    private static async Task AssertSameAnswersAsync(HttpClient database, HttpClient replica, long importId, string when)
    {
        foreach (var read in Reads)
        {
            var path = $"/imports/{importId}{read}";
            var expected = await ReadAsync(database, path);
            var actual = await ReadAsync(replica, path);
            Assert.True(expected == actual, $"{path} {when}: the replica answered\n{actual}\nthe database\n{expected}");
        }
    }

    [BackendTheory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public async Task Answers_from_memory_equal_the_database_s_through_patches_on_this_replica_and_others(int seed, bool withFriends)
    {
        await using var uncached = Replica(0);
        await using var other = Replica(32);
        using var database = uncached.CreateClient();
        using var holder = app.CreateClient();
        using var otherHolder = other.CreateClient();
        var importId = await holder.CreateImportAsync(withFriends ? ImportWithFriends(seed) : Citizens.Random(Count, 150, seed, FixedClock.DefaultToday));
        await AssertSameAnswersAsync(database, holder, importId, "after the POST");
        await AssertSameAnswersAsync(database, otherHolder, importId, "after the POST");

        var random = new Random(seed);
        for (var step = 0; step < 30; step++)
        {
            // Mostly through the replica that holds the import since its POST; every fourth PATCH through the other,
            // so that each finds its copy left at an older version now and then. The import without friends gains
            // them (and channels) half-way.
            var patcher = step % 4 == 3 ? otherHolder : holder;
            var patch = !withFriends && step == 15 ? new JsonObject { ["friends"] = new JsonArray(1, 2), ["channel"] = "late" } : RandomPatch(random, withFriends || step > 15);
            using (var response = await patcher.PatchJsonAsync($"/imports/{importId}/citizens/{random.Next(Count)}", patch.ToJsonString()))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            // After the other's PATCH the holder reads nothing before its own next PATCH, which then finds its copy a
            // version behind.
            if (patcher == holder)
            {
                await AssertSameAnswersAsync(database, holder, importId, $"after PATCH {step} {patch.ToJsonString()}");
            }
            await AssertSameAnswersAsync(database, otherHolder, importId, $"after PATCH {step} {patch.ToJsonString()}");
        }

        using (var deleted = await database.DeleteAsync($"/imports/{importId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        foreach (var read in Reads)
        {
            using var gone = await holder.GetAsync($"/imports/{importId}{read}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [BackendFact]
    public async Task Replicas_patching_and_reading_at_once_end_with_the_database_s_answers()
    {
        // Two replicas PATCH the import concurrently while readers on both keep loading and using their copies: a
        // copy read while a PATCH commits, or a PATCH applied to a copy of the wrong version, would be left behind
        // under a version it does not match. Once the writers stop, every answer must be the database's.
        await using var uncached = Replica(0);
        await using var other = Replica(32);
        using var database = uncached.CreateClient();
        using var first = app.CreateClient();
        using var second = other.CreateClient();
        var importId = await first.CreateImportAsync(ImportWithFriends(5));
        using var writing = new CancellationTokenSource();

        async Task PatchAsync(HttpClient client, int seed)
        {
            var random = new Random(seed);
            for (var step = 0; step < 25; step++)
            {
                using var response = await client.PatchJsonAsync($"/imports/{importId}/citizens/{random.Next(Count)}", RandomPatch(random, true).ToJsonString());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        async Task ReadAsync(HttpClient client, string read)
        {
            while (!writing.IsCancellationRequested)
            {
                using var response = await client.GetAsync($"/imports/{importId}{read}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        Task[] readers = [ReadAsync(first, "/citizens/birthdays"), ReadAsync(second, "/citizens"), ReadAsync(second, "/stat/demand"), ReadAsync(first, "/citizens")];
        try
        {
            await Task.WhenAll(PatchAsync(first, 1), PatchAsync(second, 2), PatchAsync(first, 3));
        }
        finally
        {
            await writing.CancelAsync();
            await Task.WhenAll(readers);
        }

        await AssertSameAnswersAsync(database, first, importId, "after concurrent PATCHes");
        await AssertSameAnswersAsync(database, second, importId, "after concurrent PATCHes");
    }

    [BackendFact]
    public async Task An_import_too_big_to_hold_is_answered_from_the_database()
    {
        // 1 MiB holds imports of up to a quarter of it: 300 citizens with 256-character names, streets and buildings are twice that.
        // The replica that stores it knows at once; another finds out when it first tries to read the import whole.
        await using var uncached = Replica(0);
        await using var small = Replica(1);
        await using var otherSmall = Replica(1);
        using var database = uncached.CreateClient();
        using var client = small.CreateClient();
        using var otherClient = otherSmall.CreateClient();
        var body = Citizens.Random(Count, 150, 7, FixedClock.DefaultToday);
        foreach (var citizen in body["citizens"]!.AsArray())
        {
            foreach (var field in new[] { "name", "street", "building" })
            {
                citizen![field] = new string('Ж', 256);
            }
        }
        var importId = await client.CreateImportAsync(body);
        await AssertSameAnswersAsync(database, client, importId, "after the POST");
        await AssertSameAnswersAsync(database, otherClient, importId, "after the POST");
        var random = new Random(7);
        for (var step = 0; step < 5; step++)
        {
            using var response = await client.PatchJsonAsync($"/imports/{importId}/citizens/{random.Next(Count)}", RandomPatch(random, false).ToJsonString());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await AssertSameAnswersAsync(database, client, importId, $"after PATCH {step}");
            await AssertSameAnswersAsync(database, otherClient, importId, $"after PATCH {step}");
        }
    }
}
