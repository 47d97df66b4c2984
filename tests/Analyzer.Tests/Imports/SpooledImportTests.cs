using System.Net;
using System.Text;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Imports;

/// <summary>The service writing every POST /imports body to a spool folder of its own (<c>IMPORT_SPOOL_MB=0</c>) and reading it from there.</summary>
public sealed class SpoolingSqliteApp : SqliteApp
{
    public DirectoryInfo Spool { get; } = Directory.CreateTempSubdirectory("analyzer-import-spool-");

    protected override IReadOnlyDictionary<string, string?> Settings => SpoolingPostgresApp.SpoolEverything(Spool);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Spool.Delete(recursive: true);
    }
}

/// <summary>The same on PostgreSQL.</summary>
public sealed class SpoolingPostgresApp : PostgresApp
{
    public DirectoryInfo Spool { get; } = Directory.CreateTempSubdirectory("analyzer-import-spool-");

    internal static Dictionary<string, string?> SpoolEverything(DirectoryInfo spool) => new()
    {
        ["Analyzer:IMPORT_SPOOL_MB"] = "0",
        ["Analyzer:SPOOL_DIR"] = spool.FullName,
    };

    protected override IReadOnlyDictionary<string, string?> Settings => SpoolEverything(Spool);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Spool.Delete(recursive: true);
    }
}

// The contract's import tests and the ones that spoil a large import late, on bodies read back from the spool file.
public sealed class SpooledSqliteImportsApiTests(SpoolingSqliteApp app) : ImportsApiTests<SpoolingSqliteApp>(app);

public sealed class SpooledPostgresImportsApiTests(SpoolingPostgresApp app) : ImportsApiTests<SpoolingPostgresApp>(app), IPostgresTests;

public sealed class SpooledSqliteStreamingImportTests(SpoolingSqliteApp app) : StreamingImportTests<SpoolingSqliteApp>(app);

public sealed class SpooledPostgresStreamingImportTests(SpoolingPostgresApp app) : StreamingImportTests<SpoolingPostgresApp>(app), IPostgresTests;

public sealed class SqliteSpooledImportTests(SpoolingSqliteApp app) : SpooledImportTests<SpoolingSqliteApp>(app, app.Spool);

public sealed class PostgresSpooledImportTests(SpoolingPostgresApp app) : SpooledImportTests<SpoolingPostgresApp>(app, app.Spool), IPostgresTests;

/// <summary>
/// A spooled body: several of <see cref="Analyzer.Web.MappedFile"/>'s chunks long, read back exactly, its errors named
/// wherever they are, and its file gone once the request has ended, however it ended.
/// </summary>
public abstract class SpooledImportTests<TApp>(TApp app, DirectoryInfo spool) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    private const int Count = 40_000; // about 9 MB: three chunks

    private readonly HttpClient client = app.CreateClient();

    [BackendFact]
    public async Task A_body_of_several_chunks_is_stored_as_sent()
    {
        var body = Random(Count, Count / 4, seed: 41, app.Clock.Today);
        Assert.True(Encoding.UTF8.GetByteCount(body.ToJsonString()) > 2 * Analyzer.Web.MappedFile.ChunkBytes);

        var importId = await client.CreateImportAsync(body);

        Assert.Contains(app.Logs.Entries, e => e.Message.StartsWith("POST /imports: the body (", StringComparison.Ordinal) && e.Values["Bytes"] is long bytes
            && bytes == Encoding.UTF8.GetByteCount(body.ToJsonString()));

        var stored = await client.GetCitizensAsync(importId);
        Assert.Equal(Count, stored.Count);
        foreach (var sent in body["citizens"]!.AsArray())
        {
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(sent, stored[(int)sent!["citizen_id"]!]), $"citizen {sent["citizen_id"]}");
        }
        AssertSpoolEmpty();
    }

    [BackendFact]
    public async Task Errors_in_the_last_chunk_are_named_by_their_path_and_nothing_is_stored()
    {
        var body = Random(Count, Count / 4, seed: 42, app.Clock.Today);
        var json = body.ToJsonString();
        // Invalid UTF-8 in the last citizen's town: found by the check of the whole body, its path read back from the file.
        var at = json.LastIndexOf("\"town\":\"", StringComparison.Ordinal) + "\"town\":\"".Length;
        Assert.True(at > json.Length - 1000);
        var bytes = Encoding.UTF8.GetBytes(json[..at]).Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes(json[at..])).ToArray();
        var before = await app.StoredAfterAsync(0);

        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var response = await client.PostAsync("/imports", content);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal([$"citizens[{Count - 1}].town"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(before, await app.StoredAfterAsync(0));
        AssertSpoolEmpty();
    }

    [BackendFact]
    public async Task A_client_that_stops_sending_half_way_leaves_no_file_and_no_import()
    {
        var before = await app.StoredAfterAsync(0);
        var json = Encoding.UTF8.GetBytes(Random(Count, Count / 4, seed: 43, app.Clock.Today).ToJsonString());
        using var content = new StreamContent(new FailingStream(json, failAt: json.Length / 2));
        content.Headers.ContentType = new("application/json");

        await Assert.ThrowsAnyAsync<Exception>(() => client.PostAsync("/imports", content));

        // The server learns of the abort on its own schedule: wait (at most 10 s) for the file to go.
        for (var wait = 0; wait < 100 && spool.EnumerateFiles().Any(); wait++)
        {
            await Task.Delay(100);
        }
        AssertSpoolEmpty();
        Assert.Equal(before, await app.StoredAfterAsync(0));
    }

    private void AssertSpoolEmpty() => Assert.Empty(spool.EnumerateFiles());

    /// <summary>Gives the first <paramref name="failAt"/> bytes, then fails as a dropped connection would.</summary>
    private sealed class FailingStream(byte[] bytes, int failAt) : Stream
    {
        private int position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (position >= failAt)
            {
                throw new IOException("the client went away");
            }
            var n = Math.Min(count, failAt - position);
            Array.Copy(bytes, position, buffer, offset, n);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
