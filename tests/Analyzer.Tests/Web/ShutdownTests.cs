using System.Net;
using System.Text;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Web;

/// <summary>SIGTERM against a real process while an import is being uploaded.</summary>
public sealed class ShutdownTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-shutdown-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public async Task An_import_in_flight_during_SIGTERM_is_stored_whole_or_not_at_all_and_the_process_exits_0()
    {
        var database = "sqlite://" + Path.Combine(directory.FullName, "analyzer.db");
        var body = Encoding.UTF8.GetBytes(Citizens.Random(10_000, 1_000, seed: 9, FixedClock.DefaultToday).ToJsonString());

        HttpStatusCode? status = null;
        await using (var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", database, "--log-level", "Warning"))
        {
            var halfSent = new TaskCompletionSource();
            var signalled = new TaskCompletionSource();
            var upload = Task.Run(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/imports")
                {
                    Content = new PausingContent(body, halfSent, signalled.Task),
                };
                try
                {
                    using var response = await server.Client.SendAsync(request);
                    status = response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    status = null; // the connection was closed: the import must not exist
                }
            });

            await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var stopping = server.TerminateAsync();
            signalled.SetResult();
            await upload.WaitAsync(TimeSpan.FromSeconds(60));
            var exit = await stopping;
            Assert.True(exit.ExitCode == 0, $"SIGTERM must stop the service cleanly: {exit}");
        }

        await using var restarted = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", database, "--log-level", "Warning");
        using var citizens = await restarted.Client.GetAsync("/imports/1/citizens");
        if (status == HttpStatusCode.Created)
        {
            Assert.Equal(HttpStatusCode.OK, citizens.StatusCode);
            Assert.Equal(10_000, (await citizens.ReadJsonAsync()).GetProperty("data").GetArrayLength());
        }
        else
        {
            Assert.Null(status);
            Assert.Equal(HttpStatusCode.NotFound, citizens.StatusCode);
        }
    }

    /// <summary>
    /// --shutdown-drain: after SIGTERM the service still accepts connections and answers, each answer with
    /// <c>Connection: close</c>, then exits 0. Without it, answers keep their connection open.
    /// </summary>
    [Fact]
    public async Task With_a_drain_a_stopping_service_keeps_serving_and_closes_each_connection_after_its_answer()
    {
        var database = "sqlite://" + Path.Combine(directory.FullName, "drain.db");
        await using var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", database, "--log-level", "Warning",
            "--shutdown-drain", "10");
        using (var before = await server.Client.GetAsync(new Uri("/health/live", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            Assert.NotEqual(true, before.Headers.ConnectionClose);
        }

        var stopping = server.TerminateAsync();
        var closing = false;
        // The signal is handled asynchronously: the first answers may come before the service knows it is stopping.
        for (var attempt = 0; attempt < 50 && !closing; attempt++)
        {
            using var fresh = new HttpClient { BaseAddress = server.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            using var answer = await fresh.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            closing = answer.Headers.ConnectionClose == true;
            if (!closing)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(closing, "no answer carried Connection: close after SIGTERM");
        using (var later = await server.Client.GetAsync(new Uri("/imports/1/citizens", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, later.StatusCode);
            Assert.True(later.Headers.ConnectionClose, "a problem answer during the drain closes its connection too");
        }
        var exit = await stopping;
        Assert.True(exit.ExitCode == 0, $"the drained service must stop cleanly: {exit}");
    }

    /// <summary>Sends half of the body, reports it, waits, then sends the rest.</summary>
    private sealed class PausingContent(byte[] body, TaskCompletionSource halfSent, Task resume) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
            await stream.FlushAsync();
            halfSent.TrySetResult();
            await resume;
            await stream.WriteAsync(body.AsMemory(body.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
