using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Analyzer.Datasets;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Web;

public sealed class SqliteUploadLimitTests : UploadLimitTests
{
    protected override Task<string> CreateDatabaseAsync() =>
        Task.FromResult("sqlite://" + Path.Combine(Directory.FullName, "analyzer.db"));
}

public sealed class PostgresUploadLimitTests : UploadLimitTests, IPostgresTests
{
    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresCluster.Instance).CreateDatabaseAsync();
}

/// <summary>
/// Uploads against the real executable on a real socket, with requests written by hand so that one can be held
/// half-sent or dropped half-way: the concurrency limit of uploads and imports (503 with Retry-After), and a client
/// that goes away in the middle of its upload. Each service gets a temporary directory of its own (<c>TMPDIR</c>),
/// where its spooled uploads can be seen.
/// </summary>
public abstract class UploadLimitTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected DirectoryInfo Directory { get; } = System.IO.Directory.CreateTempSubdirectory("analyzer-uploads-");

    private DirectoryInfo Spool => new(Path.Combine(Directory.FullName, "tmp"));

    /// <summary>A database for one service, as a URL.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Directory.Delete(recursive: true);
        }
    }

    private async Task<AnalyzerServer> StartAsync(params string[] arguments)
    {
        Spool.Create();
        return await AnalyzerServer.StartAsync(Directory.FullName, new Dictionary<string, string> { ["TMPDIR"] = Spool.FullName },
            ["--db", await CreateDatabaseAsync(), "--log-format", "json", .. arguments]);
    }

    /// <summary>The spooled uploads under <c>TMPDIR</c> (in the service's spool folder there, analyzer-spool-USER).</summary>
    private string[] SpooledUploads() => System.IO.Directory.GetFiles(Spool.FullName, CsvUpload.SpoolPrefix + "*", SearchOption.AllDirectories);

    /// <summary>About 200 KB of CSV: sent but for its last bytes, it keeps Kestrel's minimum body data rate met for minutes.</summary>
    private static byte[] Csv(int rows = 10_000)
    {
        var csv = new StringBuilder("id,name,score\n");
        for (var i = 1; i <= rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},name {i},{i * 0.5}\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private static string Head(string target, string contentType, int length, string requestId, bool expectContinue = false) =>
        $"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\n" +
        $"X-Request-Id: {requestId}\r\n{(expectContinue ? "Expect: 100-continue\r\n" : "")}\r\n";

    [BackendFact]
    public async Task While_the_only_permit_is_taken_uploads_and_imports_get_503_with_Retry_After_and_afterwards_succeed()
    {
        await using var server = await StartAsync("--max-concurrent-uploads", "1");
        var document = await ApiDocument.LoadAsync(server.Client);
        Assert.Equal(["POST /datasets", "POST /imports", "POST /upload"], document.Operations()
            .Where(o => !o.Path.StartsWith("/health", StringComparison.Ordinal) && o.Operation.GetProperty("responses").TryGetProperty("503", out _))
            .Select(o => $"{o.Method} {o.Path}").Order()); // health checks answer 503 when not ready
        var csv = Csv();
        await using var held = await RawConnection.OpenAsync(server.Port);
        await held.SendAsync(Head("/datasets?name=held", "text/csv", csv.Length, "held-upload", expectContinue: true));
        // Kestrel answers 100 Continue when the handler first reads the body: the upload is inside the limit now.
        Assert.Equal(100, (await held.ReadResponseAsync()).Status);
        await held.SendAsync(csv.AsMemory(0, csv.Length - 10));

        var import = Import(Citizen(1)).ToJsonString();
        foreach (var (path, query, body, contentType) in new[]
        {
            ("/imports", "", import, "application/json"),
            ("/datasets", "?name=second", "a,b\n1,2\n", "text/csv"),
            ("/upload", "?name=third", "a,b\n1,2\n", "text/csv"),
        })
        {
            using var content = new StringContent(body, Encoding.UTF8, contentType);
            using var response = await server.Client.PostAsync(new Uri(path + query, UriKind.Relative), content);
            var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            await document.AssertDocumentedAsync(response, path);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            Assert.Equal("The service is busy", problem.GetProperty("title").GetString());
            Assert.StartsWith("The service is busy: it is already handling 1 upload or import", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("request_id").GetString());
        }
        using (var reading = await server.Client.GetAsync(new Uri("/datasets", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, reading.StatusCode); // only uploads and imports are limited
        }
        using (var missing = await server.Client.GetAsync(new Uri("/datasets/second", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await held.SendAsync(csv.AsMemory(csv.Length - 10));
        var first = await held.ReadResponseAsync();
        Assert.True(first.Status == 201, first.ToString());
        Assert.Contains("\"row_count\":10000", first.Body, StringComparison.Ordinal);

        // Kestrel starts the next request of a connection once the last one has left the pipeline (and the limiter):
        // so these two find the permit free, without waiting or retrying.
        await held.SendAsync(Head("/datasets?name=after", "text/csv", csv.Length, "after-upload"));
        await held.SendAsync(csv);
        var after = await held.ReadResponseAsync();
        Assert.True(after.Status == 201, after.ToString());
        var importBytes = Encoding.UTF8.GetBytes(import);
        await held.SendAsync(Head("/imports", "application/json", importBytes.Length, "after-import"));
        await held.SendAsync(importBytes);
        var imported = await held.ReadResponseAsync();
        Assert.True(imported.Status == 201, imported.ToString());
        var ragged = "a,b\n1,2\n3\n"u8.ToArray();
        await held.SendAsync(Head("/datasets?name=ragged", "text/csv", ragged.Length, "ragged-upload"));
        await held.SendAsync(ragged);
        var refused = await held.ReadResponseAsync();
        Assert.True(refused.Status == 400, refused.ToString());

        Assert.Empty(SpooledUploads()); // removed after a success and after a refusal alike
    }

    [BackendFact]
    public async Task A_client_that_goes_away_half_way_ends_its_upload_and_its_spooled_file_is_removed()
    {
        var exit = default(ProcessResult);
        await using (var server = await StartAsync())
        {
            var csv = Csv(rows: 200_000);
            await using (var connection = await RawConnection.OpenAsync(server.Port))
            {
                await connection.SendAsync(Head("/datasets?name=dropped", "text/csv", csv.Length, "dropped-upload", expectContinue: true));
                Assert.Equal(100, (await connection.ReadResponseAsync()).Status);
                Assert.Single(SpooledUploads()); // created before the body is read
                await connection.SendAsync(csv.AsMemory(0, csv.Length / 2));
            } // the connection is closed half-way through the body

            var deadline = DateTime.UtcNow + Patience;
            while (SpooledUploads().Length > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.True(SpooledUploads().Length == 0, "the spooled upload is still there after the client went away");
            using (var missing = await server.Client.GetAsync(new Uri("/datasets/dropped", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            }
            exit = await server.TerminateAsync();
        }

        Assert.True(exit.ExitCode == 0, exit.ToString());
        var status = AccessLogStatus(exit, "dropped-upload");
        Assert.True(status is 400 or 499, $"the dropped upload was logged as {status}:\n{exit}");
    }

    /// <summary>The status of the request in the access log (<c>Analyzer.Access</c>, JSON lines).</summary>
    private static int AccessLogStatus(ProcessResult exit, string requestId)
    {
        foreach (var line in exit.OutputLines.Where(l => l.StartsWith('{')))
        {
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            if (root.GetProperty("Category").GetString() == "Analyzer.Access"
                && root.GetProperty("State").TryGetProperty("RequestId", out var id) && id.GetString() == requestId)
            {
                return root.GetProperty("State").GetProperty("StatusCode").GetInt32();
            }
        }
        Assert.Fail($"no access log line for {requestId}:\n{exit}");
        return 0;
    }

    /// <summary>A response as read off the socket.</summary>
    private sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public override string ToString() => $"{Status} {string.Join(", ", Headers.Select(h => $"{h.Key}: {h.Value}"))}\n{Body}";
    }

    /// <summary>
    /// One HTTP/1.1 connection written and read by hand: a request can be held half-sent or dropped, and the next
    /// request can follow on the same connection. Reads give up after <see cref="Patience"/>.
    /// </summary>
    private sealed class RawConnection : IAsyncDisposable
    {
        private readonly TcpClient client;
        private readonly NetworkStream stream;
        private readonly byte[] buffer = new byte[64 * 1024];
        private int start;
        private int end;

        private RawConnection(TcpClient client) => (this.client, stream) = (client, client.GetStream());

        public static async Task<RawConnection> OpenAsync(int port)
        {
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return new RawConnection(client);
        }

        public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

        public async Task SendAsync(ReadOnlyMemory<byte> bytes)
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }

        /// <summary>The next response, an interim one (100 Continue) too; its body by Content-Length or chunked.</summary>
        public async Task<RawResponse> ReadResponseAsync()
        {
            using var timeout = new CancellationTokenSource(Patience);
            var statusLine = await ReadLineAsync(timeout.Token);
            var status = int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var line = await ReadLineAsync(timeout.Token); line.Length > 0; line = await ReadLineAsync(timeout.Token))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            var body = new MemoryStream();
            if (status >= 200 && status is not (204 or 304))
            {
                if (headers.TryGetValue("Content-Length", out var length))
                {
                    await ReadExactlyAsync(body, int.Parse(length, CultureInfo.InvariantCulture), timeout.Token);
                }
                else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    int size;
                    while ((size = int.Parse((await ReadLineAsync(timeout.Token)).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)) > 0)
                    {
                        await ReadExactlyAsync(body, size, timeout.Token);
                        await ReadLineAsync(timeout.Token);
                    }
                    await ReadLineAsync(timeout.Token); // the end of the (empty) trailer
                }
            }
            return new RawResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var at = buffer.AsSpan(start, end - start).IndexOf("\r\n"u8);
                if (at >= 0)
                {
                    var line = Encoding.ASCII.GetString(buffer, start, at);
                    start += at + 2;
                    return line;
                }
                await FillAsync(cancellationToken);
            }
        }

        private async Task ReadExactlyAsync(MemoryStream target, int count, CancellationToken cancellationToken)
        {
            while (count > 0)
            {
                if (start == end)
                {
                    await FillAsync(cancellationToken);
                }
                var length = Math.Min(count, end - start);
                target.Write(buffer, start, length);
                start += length;
                count -= length;
            }
        }

        private async Task FillAsync(CancellationToken cancellationToken)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            (start, end) = (0, end - start);
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            end += read > 0 ? read : throw new EndOfStreamException("the service closed the connection");
        }

        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
