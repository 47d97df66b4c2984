using System.Net;
using System.Text;
using Analyzer.Datasets;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Datasets;

/// <summary>
/// Uploads are spooled into the service's own folder, and what a killed service left there is removed at the next
/// start — but not what a live process is still receiving. Against the real executable, with a <c>TMPDIR</c> of its own.
/// </summary>
public sealed class UploadSpoolTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-spool-test-");

    private string TempDirectory => Path.Combine(directory.FullName, "tmp");

    /// <summary>Where the service spools by default: <c>analyzer-spool-USER</c> in its temporary folder.</summary>
    private string SpoolDirectory => Path.Combine(TempDirectory, "analyzer-spool-" + Environment.UserName);

    public void Dispose()
    {
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private Task<AnalyzerServer> StartAsync() =>
        AnalyzerServer.StartAsync(directory.FullName, new Dictionary<string, string> { ["TMPDIR"] = TempDirectory + "/" },
            "--db", "sqlite://" + Path.Combine(directory.FullName, "analyzer.db"), "--log-level", "Warning");

    private string[] Spooled() =>
        Directory.Exists(SpoolDirectory) ? Directory.GetFiles(SpoolDirectory, CsvUpload.SpoolPrefix + "*") : [];

    [Fact]
    public async Task An_upload_left_by_a_killed_service_is_removed_at_the_next_start_and_a_held_one_is_kept()
    {
        Directory.CreateDirectory(TempDirectory);
        string left;
        await using (var killed = await StartAsync())
        {
            // An upload whose body never ends: the service spools what it has and waits for the rest.
            var rest = new TaskCompletionSource();
            using var content = new StreamContent(new EndlessCsv(rest.Task));
            content.Headers.ContentType = new("text/csv");
            var upload = killed.Client.PostAsync(new Uri("/datasets?name=killed", UriKind.Relative), content);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Spooled().Length == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            left = Assert.Single(Spooled());
            // SIGKILL (kill -9) while the client is still sending: nothing runs in the service any more.
            using (var process = System.Diagnostics.Process.GetProcessById(killed.Process.Id))
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            rest.SetResult();
            await Assert.ThrowsAnyAsync<Exception>(() => upload);
        }
        Assert.True(File.Exists(left), "the killed service's upload should still be there: this test stands for kill -9");

        // A file another live process is receiving into (it holds the lock), and a file that is not an upload.
        var held = Path.Combine(SpoolDirectory, CsvUpload.SpoolPrefix + "held.csv");
        var other = Path.Combine(SpoolDirectory, "notes.txt");
        await File.WriteAllTextAsync(other, "not an upload");
        await using var holding = new FileStream(held, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

        await using (var next = await StartAsync())
        {
            Assert.False(File.Exists(left), "the next start should have removed the killed service's upload");
            Assert.True(File.Exists(held), "an upload another process holds must be kept");
            Assert.True(File.Exists(other), "only uploads are removed");
            using var upload = new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv");
            using var created = await next.Client.PostAsync(new Uri("/datasets?name=after", UriKind.Relative), upload);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
    }

    /// <summary>A CSV body that yields some rows and then waits for <paramref name="end"/> before ending.</summary>
    private sealed class EndlessCsv(Task end) : Stream
    {
        private readonly byte[] head = Encoding.UTF8.GetBytes("a,b\n" + string.Concat(Enumerable.Range(1, 5000).Select(i => $"{i},{i}\n")));
        private int position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position < head.Length)
            {
                var count = Math.Min(buffer.Length, head.Length - position);
                head.AsMemory(position, count).CopyTo(buffer);
                position += count;
                return count;
            }
            await end.WaitAsync(cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
