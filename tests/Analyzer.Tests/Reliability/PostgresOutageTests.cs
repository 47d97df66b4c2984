using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Analyzer.Bench;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Reliability;

/// <summary>
/// PostgreSQL going away under the Release executable, on a server of the test's own (<see cref="OwnPostgres"/>):
/// restarted (<c>pg_ctl restart -m fast</c>) while four clients run the workflow, and stopped when the service starts.
/// </summary>
public sealed class PostgresOutageTests(ITestOutputHelper output) : IPostgresTests, IDisposable
{
    /// <summary>After the database is back, requests sent later than this all succeed.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(5);

    /// <summary>No answer within this is a hang.</summary>
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-outage-");

    public void Dispose() => workingDirectory.Delete(recursive: true);

    private sealed record Answer(long SentAt, string Request, int Status, string? ContentType, bool RetryAfter, string Body);

    [BackendFact]
    public async Task A_restart_under_load_is_answered_503_with_retry_after_then_recovers_by_itself()
    {
        await using var postgres = await OwnPostgres.CreateAsync(start: true);
        await using var server = await AnalyzerServer.StartAsync(workingDirectory.FullName, null, "--db", postgres.Url);
        var answers = new ConcurrentBag<Answer>();
        using var stop = new CancellationTokenSource();
        using var client = new HttpClient { BaseAddress = server.Client.BaseAddress, Timeout = Bounded };
        var clients = Enumerable.Range(0, 4).Select(i => Task.Run(() => WorkflowUntilStoppedAsync(client, i, answers, stop.Token))).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var restartStarted = Stopwatch.GetTimestamp();
        await postgres.RestartAsync();
        var backAt = Stopwatch.GetTimestamp();
        await Task.Delay(Recovery + TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        var all = answers.ToList();
        output.WriteLine($"{all.Count} answers; during the restart ({Stopwatch.GetElapsedTime(restartStarted, backAt).TotalSeconds:0.0} s): "
            + string.Join(", ", all.Where(a => a.SentAt >= restartStarted && a.SentAt <= backAt).GroupBy(a => a.Status).Select(g => $"{g.Count()} × {g.Key}")));
        Assert.DoesNotContain(all, a => a.Status is -1);
        if (all.Any(a => a.Status == 500))
        {
            // What the service logged about it: the request id of the answer leads to the exception.
            var log = await server.Process.TerminateAsync();
            output.WriteLine(string.Join('\n', log.OutputLines.Concat(log.ErrorLines).Where(line => line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal))));
        }
        Assert.All(all.Where(a => a.Status >= 500), a =>
        {
            Assert.True(a.Status == 503 && a.ContentType == "application/problem+json" && a.RetryAfter, $"{a.Request}: {a.Status} {a.ContentType} {a.Body}");
            Assert.DoesNotContain("   at ", a.Body, StringComparison.Ordinal);
        });
        Assert.All(all.Where(a => a.Status >= 400 && a.Status < 500), a => Assert.Fail($"{a.Request}: {a.Status} {a.Body}"));
        var late = all.Where(a => Stopwatch.GetElapsedTime(backAt, a.SentAt) > Recovery).ToList();
        Assert.NotEmpty(late);
        Assert.All(late, a => Assert.True(a.Status is >= 200 and < 300, $"{Recovery.TotalSeconds} s after the restart: {a.Request} answered {a.Status} {a.Body}"));
    }

    /// <summary>One client: POST an import, GET its citizens, PATCH one, GET birthdays and percentiles, again until stopped.</summary>
    private static async Task WorkflowUntilStoppedAsync(HttpClient client, int seed, ConcurrentBag<Answer> answers, CancellationToken stop)
    {
        var body = KillTrials.ImportJson(100, seed);
        while (!stop.IsCancellationRequested)
        {
            var created = await SendAsync(client, HttpMethod.Post, "/imports", body, answers);
            if (created.Status != 201)
            {
                await Task.Delay(100, CancellationToken.None);
                continue;
            }
            var id = System.Text.Json.JsonDocument.Parse(created.Body).RootElement.GetProperty("data").GetProperty("import_id").GetInt64()
                .ToString(CultureInfo.InvariantCulture);
            await SendAsync(client, HttpMethod.Get, $"/imports/{id}/citizens", null, answers);
            await SendAsync(client, HttpMethod.Patch, $"/imports/{id}/citizens/1", """{"relatives": [3], "name": "Иван"}""", answers);
            await SendAsync(client, HttpMethod.Get, $"/imports/{id}/citizens/birthdays", null, answers);
            await SendAsync(client, HttpMethod.Get, $"/imports/{id}/towns/stat/percentile/age", null, answers);
        }
    }

    private static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string path, string? body, ConcurrentBag<Answer> answers)
    {
        var sentAt = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        Answer answer;
        try
        {
            using var response = await client.SendAsync(request);
            answer = new Answer(sentAt, $"{method} {path}", (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                response.Headers.RetryAfter is not null, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // No answer within the bound, or the connection to the service failed: both are failures of the service.
            answer = new Answer(sentAt, $"{method} {path}", -1, null, false, e.Message);
        }
        answers.Add(answer);
        return answer;
    }

    [BackendFact]
    public async Task Stopped_at_start_the_service_listens_with_ready_503_and_serves_once_the_database_is_up()
    {
        await using var postgres = await OwnPostgres.CreateAsync(start: false);
        var port = AnalyzerProcess.FreePort();
        await using var analyzer = AnalyzerProcess.Start(workingDirectory.FullName, null, "--db", postgres.Url, "--db-wait", "120",
            "--api-address", "127.0.0.1", "--api-port", port.ToString(CultureInfo.InvariantCulture));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Bounded };

        await WaitForStatusAsync(analyzer, client, "/health/live", HttpStatusCode.OK);
        using (var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        using (var read = await client.GetAsync(new Uri("/imports", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(read.Headers.RetryAfter);
        }

        await postgres.StartAsync();

        await WaitForStatusAsync(analyzer, client, "/health/ready", HttpStatusCode.OK);
        using var content = new StringContent(KillTrials.ImportJson(10, 1), Encoding.UTF8, "application/json");
        using var created = await client.PostAsync(new Uri("/imports", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False(analyzer.HasExited);
    }

    /// <summary>Polls (bounded: 60 s) until <paramref name="path"/> answers <paramref name="status"/>; fails if the service exits meanwhile.</summary>
    private static async Task WaitForStatusAsync(AnalyzerProcess analyzer, HttpClient client, string path, HttpStatusCode status)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            if (analyzer.HasExited)
            {
                Assert.Fail($"the service exited while waiting for {path} to answer {(int)status}: {await analyzer.WaitForExitAsync()}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                if (response.StatusCode == status)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        Assert.Fail($"{path} did not answer {(int)status} within 60 s");
    }
}
