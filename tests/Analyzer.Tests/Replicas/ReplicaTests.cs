using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Analyzer.Storage;
using Analyzer.Tests.Deploy;
using Analyzer.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Analyzer.Tests.Replicas;

/// <summary>
/// Two replicas of the Release executable on one PostgreSQL database behind Debian's nginx (deploy/replicas.sh), in
/// one run whose steps build on each other: both start at once on an empty database and migrate it once; the request
/// id passes through nginx; concurrent PATCHes of one import spread over both replicas keep the relatives mutual and
/// lose no update; an answer cached by one replica is not served after the other changed or deleted the import; four
/// clients run the workflow with no error; then one replica is killed with SIGKILL under load: every GET still
/// succeeds (nginx retries it on the other), POSTs and PATCHes succeed or fail with a 502/503/504 or a broken
/// connection, and the database holds every import whole. The figures are printed (docs/reliability.md, "Replicas").
/// </summary>
public sealed class ReplicaTests(ITestOutputHelper output) : IPostgresTests
{
    private const int WorkflowClients = 4;
    private const int WorkflowRounds = 5;
    private const int WorkflowCitizens = 40;
    /// <summary>The kill phase's POSTs alternate small imports and large ones (more likely to be cut mid-COPY).</summary>
    private static readonly int[] KillPhaseSizes = [50, 3000];

    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>What the database must hold: each import's citizen count, and how many PATCHes were sent and succeeded.</summary>
    private readonly ConcurrentDictionary<long, int> expectedSizes = new();
    private readonly ConcurrentDictionary<long, int> patchesSent = new();
    private readonly ConcurrentDictionary<long, int> patchesApplied = new();

    [ToolFact("nginx")]
    public async Task Two_replicas_behind_nginx_migrate_once_stay_consistent_and_survive_a_killed_replica()
    {
        await using var replicas = await ReplicaSet.StartAsync();

        await BothMigratedOnceAsync(replicas);
        await RequestIdPassesThroughAsync(replicas);
        await PatchRaceAcrossReplicasAsync(replicas);
        await CachedAnswersFollowTheOtherReplicasWritesAsync(replicas);
        var imports = await WorkflowAsync(replicas);
        var failedPostSizes = await KillOneReplicaUnderLoadAsync(replicas, imports);
        await EveryImportIsWholeAsync(replicas, failedPostSizes);

        var log = replicas.AccessLog();
        Assert.DoesNotContain(log, line => line.Status == 500);
        output.WriteLine($"nginx: {log.Count} requests; by status: {string.Join(", ", log.GroupBy(l => l.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}");
    }

    private async Task BothMigratedOnceAsync(ReplicaSet replicas)
    {
        var migrations = Migrator.Load(SqlDialect.Postgres);
        await using var connection = await replicas.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        var applied = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                applied.Add(reader.GetInt32(0));
            }
        }
        Assert.Equal(migrations.Select(m => m.Version), applied);

        // Each replica logs the migrations it applied: one applied all of them, the other (which waited for the
        // advisory lock) none.
        var appliedBy = Enumerable.Range(1, ReplicaSet.Count)
            .Select(r => replicas.LogOf(r).Split('\n').Count(line => line.Contains("Applied migration", StringComparison.Ordinal)))
            .ToList();
        Assert.Equal([0, migrations.Count], appliedBy.Order());
        for (var replica = 1; replica <= ReplicaSet.Count; replica++)
        {
            using var direct = Direct(replicas, replica);
            using var ready = await direct.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        output.WriteLine($"first start: {migrations.Count} migrations applied once, by replica {appliedBy.IndexOf(migrations.Count) + 1}; both ready");
    }

    private static HttpClient Direct(ReplicaSet replicas, int replica) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{replicas.PortOf(replica)}"), Timeout = TimeSpan.FromSeconds(30) };

    private static async Task RequestIdPassesThroughAsync(ReplicaSet replicas)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/imports/999999/citizens");
        request.Headers.Add("X-Request-Id", "replicas-42");
        using var missing = await replicas.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("replicas-42", Assert.Single(missing.Headers.GetValues("X-Request-Id")));
        Assert.Contains("replicas-42", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var line = Assert.Single(replicas.AccessLog(), l => l.RequestId == "replicas-42");
        Assert.Contains(Enumerable.Range(1, ReplicaSet.Count), r => replicas.LogOf(r).Contains("replicas-42", StringComparison.Ordinal));
        Assert.Equal(404, line.Status);
    }

    /// <summary>48 PATCHes of 4 citizens of one import at once, through nginx: both replicas take some.</summary>
    private async Task PatchRaceAcrossReplicasAsync(ReplicaSet replicas)
    {
        const int Patches = 48;
        var importId = await CreateImportAsync(replicas.Client, Citizens.Random(60, 50, seed: 5, Today));
        var random = new Random(17);
        var bodies = Enumerable.Range(0, Patches).Select(i => (Citizen: i % 4, Relatives: Enumerable.Range(0, 60).Where(_ => random.Next(6) == 0).ToArray())).ToList();

        var statuses = await Task.WhenAll(bodies.Select(async (patch, i) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/imports/{importId}/citizens/{patch.Citizen}")
            {
                Content = ApiClient.Json(RelativesBody(patch.Relatives)),
            };
            request.Headers.Add("X-Request-Id", $"race-{i}");
            using var response = await replicas.Client.SendAsync(request);
            return response.StatusCode;
        }));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        patchesSent[importId] = patchesApplied[importId] = Patches;
        var upstreams = replicas.AccessLog().Where(l => l.RequestId.StartsWith("race-", StringComparison.Ordinal)).GroupBy(l => l.Upstream).ToList();
        Assert.Equal(ReplicaSet.Count, upstreams.Count);
        await using var connection = await replicas.OpenDatabaseAsync();
        Assert.Equal(0, await AsymmetricRelativesAsync(connection));
        Assert.Equal(Patches, await VersionOfAsync(connection, importId));
        output.WriteLine($"PATCH race: {Patches} concurrent PATCHes through nginx, all 200, by replica: "
            + string.Join(", ", upstreams.Select(g => $"{g.Key} {g.Count()}")) + $"; relatives mutual; version {Patches}");
    }

    /// <summary>
    /// Each replica caches analytics answers in its memory, keyed by the import's version: a PATCH through one is seen by
    /// the other at once, and a DELETE through one is a 404 at the other.
    /// </summary>
    private async Task CachedAnswersFollowTheOtherReplicasWritesAsync(ReplicaSet replicas)
    {
        using var first = Direct(replicas, 1);
        using var second = Direct(replicas, 2);
        var importId = await CreateImportAsync(first, Citizens.Random(30, 20, seed: 7, Today));
        var path = $"/imports/{importId}/citizens/birthdays";
        var before = await first.GetStringAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(before, await second.GetStringAsync(new Uri(path, UriKind.Relative)));

        var citizen0 = (await first.GetCitizensAsync(importId))[0];
        int[] relatives = citizen0["relatives"]!.AsArray().Any(r => r!.GetValue<int>() == 1) ? [] : [1];
        using (var patch = await first.PatchJsonAsync($"/imports/{importId}/citizens/0", RelativesBody(relatives)))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        var after = await second.GetStringAsync(new Uri(path, UriKind.Relative));
        Assert.NotEqual(before, after);
        Assert.Equal(after, await first.GetStringAsync(new Uri(path, UriKind.Relative)));

        using (var delete = await second.DeleteAsync(new Uri($"/imports/{importId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        using var gone = await first.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        output.WriteLine("answer caches: a PATCH through replica 1 shows at once in replica 2's birthdays, a DELETE through 2 is a 404 at 1");
    }

    /// <summary>4 clients, 5 rounds each, through nginx: POST, GET citizens, PATCH, the 4 analytics. Returns the imports.</summary>
    private async Task<IReadOnlyList<long>> WorkflowAsync(ReplicaSet replicas)
    {
        var errors = new ConcurrentQueue<string>();
        var requests = 0;
        var imports = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, WorkflowClients).Select(client => Task.Run(async () =>
        {
            for (var round = 0; round < WorkflowRounds; round++)
            {
                var seed = 100 + client * WorkflowRounds + round;
                using var post = await replicas.Client.PostJsonAsync("/imports", Citizens.Random(WorkflowCitizens, 30, seed, Today).ToJsonString());
                Interlocked.Increment(ref requests);
                if (post.StatusCode != HttpStatusCode.Created)
                {
                    errors.Enqueue($"POST /imports: {(int)post.StatusCode}");
                    continue;
                }
                var importId = (await post.ReadJsonAsync()).GetProperty("data").GetProperty("import_id").GetInt64();
                imports.Add(importId);
                expectedSizes[importId] = WorkflowCitizens;
                foreach (var (method, path, body) in WorkflowSteps(importId))
                {
                    using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : ApiClient.Json(body) };
                    using var response = await replicas.Client.SendAsync(request);
                    Interlocked.Increment(ref requests);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        errors.Enqueue($"{method} {path}: {(int)response.StatusCode}");
                    }
                }
                patchesSent[importId] = patchesApplied[importId] = 1;
            }
        })));

        Assert.Empty(errors);
        var byReplica = replicas.AccessLog().GroupBy(l => l.Upstream).Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine($"workflow: {WorkflowClients} clients × {WorkflowRounds} rounds, {requests} requests through nginx, {errors.Count} errors; "
            + $"all requests so far by replica: {string.Join(", ", byReplica)}");
        return [.. imports];
    }

    private static (HttpMethod Method, string Path, string? Body)[] WorkflowSteps(long importId) =>
    [
        (HttpMethod.Get, $"/imports/{importId}/citizens", null),
        (HttpMethod.Patch, $"/imports/{importId}/citizens/1", RelativesBody([2, 3, 4])),
        (HttpMethod.Get, $"/imports/{importId}/citizens/birthdays", null),
        (HttpMethod.Get, $"/imports/{importId}/towns/stat/percentile/age", null),
        (HttpMethod.Get, $"/imports/{importId}/citizens/courses", null),
        (HttpMethod.Get, $"/imports/{importId}/stat/demand", null),
    ];

    /// <summary>
    /// 4 clients POST, PATCH and GET through nginx; after 40 requests replica 1 is killed with SIGKILL; 160 requests later
    /// the clients stop. Returns the sizes of the POSTs that failed (their imports may or may not have been stored).
    /// </summary>
    private async Task<IReadOnlyList<int>> KillOneReplicaUnderLoadAsync(ReplicaSet replicas, IReadOnlyList<long> imports)
    {
        var load = new KillPhaseLoad(replicas.Client, imports, expectedSizes, patchesSent, patchesApplied, KillPhaseSizes, Today);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clients = Enumerable.Range(0, WorkflowClients).Select(client => Task.Run(() => load.RunClientAsync(client, stop.Token))).ToArray();
        await load.WaitForRequestsAsync(40, stop.Token);
        await replicas.KillAsync(1);
        var killedAt = load.Completed;
        await load.WaitForRequestsAsync(killedAt + 160, stop.Token);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        output.WriteLine($"kill: replica 1 SIGKILLed after {killedAt} requests; {load.Completed} requests in all; outcomes: {load.Describe()}");
        Assert.Empty(load.Unacceptable);
        Assert.True(load.Completed >= killedAt + 160, "the clients stopped before 160 requests after the kill");
        using var ready = await replicas.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        return [.. load.FailedPostSizes];
    }

    /// <summary>
    /// Every import in the database has the citizens it was posted with (an import whose POST failed is whole or
    /// absent), no citizen is left without its import, relatives are mutual everywhere, and each import's version
    /// lies between the PATCHes that succeeded and those sent (none applied twice).
    /// </summary>
    private async Task EveryImportIsWholeAsync(ReplicaSet replicas, IReadOnlyList<int> failedPostSizes)
    {
        await using var connection = await replicas.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "SELECT i.import_id, i.version, (SELECT count(*) FROM citizens c WHERE c.import_id = i.import_id) FROM imports i", connection);
        var unconfirmed = 0;
        var unmatched = failedPostSizes.ToList();
        var count = 0;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                count++;
                var (importId, version, citizens) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                if (expectedSizes.TryGetValue(importId, out var expected))
                {
                    Assert.True(expected == citizens, $"import {importId} has {citizens} citizens, not {expected}");
                }
                else
                {
                    // Stored, but its POST's answer was lost with the killed replica: whole, as one of the failed POSTs.
                    unconfirmed++;
                    Assert.True(unmatched.Remove((int)citizens), $"import {importId} has {citizens} citizens: no failed POST had as many");
                }
                Assert.InRange(version, patchesApplied.GetValueOrDefault(importId), patchesSent.GetValueOrDefault(importId));
            }
        }
        Assert.Equal(0, await AsymmetricRelativesAsync(connection));
        await using var orphans = new NpgsqlCommand(
            "SELECT count(*) FROM citizens c WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.import_id = c.import_id)", connection);
        Assert.Equal(0L, (long)(await orphans.ExecuteScalarAsync())!);
        output.WriteLine($"after the kill: {count} imports in the database, every one whole ({unconfirmed} stored although their POST failed), "
            + "relatives mutual, no citizen without its import, no PATCH applied twice");
    }

    /// <summary>How many (citizen, relative) pairs of the whole database lack their reverse.</summary>
    private static async Task<long> AsymmetricRelativesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM citizens c CROSS JOIN LATERAL unnest(c.relatives) AS r(relative_id)
            WHERE NOT EXISTS (SELECT 1 FROM citizens d
                              WHERE d.import_id = c.import_id AND d.citizen_id = r.relative_id AND c.citizen_id = ANY (d.relatives))
            """, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> VersionOfAsync(NpgsqlConnection connection, long importId)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM imports WHERE import_id = @id", connection);
        command.Parameters.AddWithValue("id", importId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> CreateImportAsync(HttpClient client, JsonObject body)
    {
        var importId = await client.CreateImportAsync(body);
        expectedSizes[importId] = body["citizens"]!.AsArray().Count;
        return importId;
    }

    public static string RelativesBody(IEnumerable<int> relatives) =>
        new JsonObject { ["relatives"] = new JsonArray([.. relatives.Select(r => (JsonNode)r)]) }.ToJsonString();
}
