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
