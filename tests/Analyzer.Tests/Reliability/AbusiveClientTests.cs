using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Analyzer.Bench;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Reliability;

/// <summary>One Release executable on SQLite with an import of 50 citizens, shared by the abusive-client tests.</summary>
public sealed class AbusedService : IAsyncLifetime
{
    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-abuse-");

    public AnalyzerServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await AnalyzerServer.StartAsync(workingDirectory.FullName, null, "--db", "sqlite:abuse.db");
        using var content = new StringContent(KillTrials.ImportJson(50, 1), Encoding.UTF8, "application/json");
        using var created = await Server.Client.PostAsync(new Uri("/imports", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    /// <summary>A normal request, answered 200 (no duration asserted; the client's own timeout bounds it).</summary>
    public async Task AssertServesOthersAsync()
    {
        using var response = await Server.Client.GetAsync(new Uri("/imports/1/citizens", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        workingDirectory.Delete(recursive: true);
    }
}

/// <summary>
/// Slow and abusive clients against Kestrel's limits (WebPipeline.SetClientLimits): each is answered with an error
/// status or has its connection closed, within a bound, while a normal request from another client succeeds.
/// </summary>
public sealed class AbusiveClientTests(AbusedService service, ITestOutputHelper output) : IClassFixture<AbusedService>
{
    /// <summary>Longer than any limit (10 s for headers, 5 s grace for a body) with room for a loaded machine: no answer by then is a hang.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    private int Port => service.Server.Port;

    /// <summary>The status line's code, or 0 when the service closed the connection without one.</summary>
    private static async Task<int> StatusOrCloseAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var received = new StringBuilder();
        try
        {
            while (true)
            {
                var count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (count == 0)
                {
                    break;
                }
                received.Append(Encoding.ASCII.GetString(buffer, 0, count));
                if (received.ToString().Contains("\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // reset: closed
        }
        var text = received.ToString();
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, Port);
        return socket;
    }

    /// <summary>Sends <paramref name="head"/>, then <paramref name="trickle"/> one byte a second until the service answers or closes.</summary>
    private async Task<int> TrickleAsync(string head, string trickle)
    {
        using var socket = await ConnectAsync();
        using var bound = new CancellationTokenSource(Bound);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
        var answer = StatusOrCloseAsync(socket, bound.Token);
        foreach (var b in Encoding.ASCII.GetBytes(trickle))
        {
            if (answer.IsCompleted)
            {
                break;
            }
            try
            {
                await socket.SendAsync(new[] { b }, SocketFlags.None);
            }
            catch (SocketException)
            {
                break; // closed by the service
            }
            await Task.WhenAny(answer, Task.Delay(1000));
        }
        return await answer;
    }

    [Fact]
    public async Task Headers_trickled_and_a_body_at_one_byte_a_second_are_cut_off_while_others_are_served()
    {
        var slowloris = TrickleAsync("GET /imports HTTP/1.1\r\nHost: 127.0.0.1\r\n", new string('x', 60));
        var slowBody = TrickleAsync("POST /imports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            "{\"citizens\": [" + new string(' ', 90));
        await Task.Delay(2000);
        await service.AssertServesOthersAsync();

        var (headers, body) = (await slowloris, await slowBody);

        output.WriteLine($"slowloris: {headers}, slow body: {body} (0: closed)");
        Assert.Contains(headers, new[] { 0, 408 });
        Assert.Contains(body, new[] { 0, 408 });
        await service.AssertServesOthersAsync();
    }

    [Fact]
    public async Task Thousands_of_idle_connections_do_not_stop_a_normal_request()
    {
        // Each idle connection costs a descriptor here and one in the service (same limit, inherited): stay well inside it.
        var limit = OpenFileLimit();
        var count = (int)Math.Min(10_000, limit - 2_000);
        output.WriteLine($"{count} idle connections (open file limit {limit})");
        var sockets = new List<Socket>(count);
        try
        {
            for (var batch = 0; batch < count; batch += 500)
            {
                sockets.AddRange(await Task.WhenAll(Enumerable.Range(0, Math.Min(500, count - batch)).Select(_ => ConnectAsync())));
            }
            await service.AssertServesOthersAsync();
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
        Assert.True(count >= 1_000, $"only {count} connections fit the open file limit {limit}");
    }

    private static long OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Huge_headers_are_431()
    {
        using var socket = await ConnectAsync();
        using var bound = new CancellationTokenSource(Bound);
        var request = $"GET /imports HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: {new string('a', 64 * 1024)}\r\n\r\n";
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        }
        catch (SocketException)
        {
            // closed before all was sent: the answer (if any) is still there to read
        }

        Assert.Contains(await StatusOrCloseAsync(socket, bound.Token), new[] { 0, 431 });
        await service.AssertServesOthersAsync();
    }

    [Theory]
    [InlineData("POST", "/imports", "{\"citizens\": ")]
    [InlineData("PATCH", "/imports/1/citizens/1", "{\"relatives\": ")]
    [InlineData("PATCH", "/imports/1/citizens/1", "{\"name\": ")]
    public async Task Json_nested_ten_thousand_levels_deep_is_400(string method, string path, string prefix)
    {
        foreach (var (open, close) in new[] { ("[", "]"), ("{\"a\":", "}") })
        {
            var body = prefix + string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000)) + "}";
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };

            using var response = await service.Server.Client.SendAsync(request);

            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using var citizen = await service.Server.Client.GetAsync(new Uri("/imports/1/citizens", UriKind.Relative));
        Assert.Contains("\"version\"", (await service.Server.Client.GetStringAsync(new Uri("/imports/1", UriKind.Relative))), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, citizen.StatusCode);
    }

    [Theory]
    [InlineData("/imports", "application/json")]
    [InlineData("/datasets?name=huge", "text/csv")]
    public async Task A_two_gigabyte_content_length_with_a_short_body_is_refused_or_cut_off(string path, string contentType)
    {
        using var socket = await ConnectAsync();
        using var bound = new CancellationTokenSource(Bound);
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nContent-Length: 2147483648\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + "{\"citizens\": []}"), SocketFlags.None);

        var status = await StatusOrCloseAsync(socket, bound.Token);

        output.WriteLine($"{path}: {status} (0: closed)");
        Assert.Contains(status, new[] { 0, 408, 413, 415 });
        await service.AssertServesOthersAsync();
    }
}
