using System.Collections.Concurrent;
using System.Net;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Replicas;

/// <summary>
/// The load while a replica is killed: each client in turn POSTs a new import, PATCHes a citizen of an existing one,
/// and GETs an import's citizens and its birthdays. Outcomes are tallied; a GET must answer 200 (with the import's
/// citizens), a POST or PATCH may also fail cleanly (502/503/504 from nginx, or the connection broken), nothing else.
/// </summary>
internal sealed class KillPhaseLoad(
    HttpClient client, IReadOnlyList<long> imports, ConcurrentDictionary<long, int> expectedSizes,
    ConcurrentDictionary<long, int> patchesSent, ConcurrentDictionary<long, int> patchesApplied, IReadOnlyList<int> postSizes, DateOnly today)
{
    private static readonly HttpStatusCode[] CleanFailures = [HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout];

    private readonly ConcurrentDictionary<string, int> outcomes = new(StringComparer.Ordinal);
    private int completed;

    public int Completed => Volatile.Read(ref completed);

    /// <summary>The citizen counts of the POSTs that failed: their imports may or may not have been stored.</summary>
    public ConcurrentQueue<int> FailedPostSizes { get; } = new();

    /// <summary>Outcomes that break the promise (a GET that failed, a 500, a wrong answer).</summary>
    public ConcurrentQueue<string> Unacceptable { get; } = new();

    public string Describe() => string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));

    public async Task WaitForRequestsAsync(int count, CancellationToken cancellationToken)
    {
        while (Completed < count && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }

    public async Task RunClientAsync(int client, CancellationToken stop)
    {
        var random = new Random(1000 + client);
        for (var step = 0; !stop.IsCancellationRequested; step++)
        {
            var importId = imports[random.Next(imports.Count)];
            Task task = (step % 4) switch
            {
                0 => PostAsync(postSizes[step / 4 % postSizes.Count], 10_000 + client * 1000 + step),
                1 => PatchAsync(importId, random),
                2 => GetCitizensAsync(importId),
                _ => GetAsync($"/imports/{importId}/citizens/birthdays"),
            };
            await task;
            Interlocked.Increment(ref completed);
        }
    }

    private async Task PostAsync(int citizens, int seed)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/imports", Citizens.Random(citizens, citizens, seed, today).ToJsonString());
        if (status == HttpStatusCode.Created)
        {
            var importId = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
            expectedSizes[importId] = citizens;
        }
        else
        {
            FailedPostSizes.Enqueue(citizens);
            CheckCleanFailure("POST", status);
        }
    }

    private async Task PatchAsync(long importId, Random random)
    {
        var citizen = random.Next(10);
        var relatives = Enumerable.Range(0, 40).Where(_ => random.Next(8) == 0).ToArray();
        patchesSent.AddOrUpdate(importId, 1, (_, n) => n + 1);
        var (status, _) = await SendAsync(HttpMethod.Patch, $"/imports/{importId}/citizens/{citizen}", ReplicaTests.RelativesBody(relatives));
        if (status == HttpStatusCode.OK)
        {
            patchesApplied.AddOrUpdate(importId, 1, (_, n) => n + 1);
        }
        else
        {
            CheckCleanFailure("PATCH", status);
        }
    }

    private async Task GetCitizensAsync(long importId)
    {
        var (status, body) = await GetAsync($"/imports/{importId}/citizens");
        if (status == HttpStatusCode.OK)
        {
            var count = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data").GetArrayLength();
            if (count != expectedSizes[importId])
            {
                Unacceptable.Enqueue($"GET /imports/{importId}/citizens: {count} citizens, not {expectedSizes[importId]}");
            }
        }
    }

    private async Task<(HttpStatusCode? Status, string Body)> GetAsync(string path)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, path, null);
        if (status != HttpStatusCode.OK)
        {
            Unacceptable.Enqueue($"GET {path}: {(status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "connection error")}");
        }
        return (status, body);
    }

    private void CheckCleanFailure(string method, HttpStatusCode? status)
    {
        if (status is { } s && !CleanFailures.Contains(s))
        {
            Unacceptable.Enqueue($"{method}: {(int)s}");
        }
    }

    /// <summary>The status (null when the connection broke or timed out) and the body; the outcome is tallied.</summary>
    private async Task<(HttpStatusCode? Status, string Body)> SendAsync(HttpMethod method, string path, string? json)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : ApiClient.Json(json) };
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            outcomes.AddOrUpdate($"{method} {(int)response.StatusCode}", 1, (_, n) => n + 1);
            return (response.StatusCode, body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            outcomes.AddOrUpdate($"{method} connection error", 1, (_, n) => n + 1);
            return (null, "");
        }
    }
}
