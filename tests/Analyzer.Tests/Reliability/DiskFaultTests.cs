using System.Diagnostics;
using System.Net;
using System.Text;
using Analyzer.Bench;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Reliability;

/// <summary>
/// A fact that needs root (to mount a tmpfs and to drop privileges with setpriv): skipped with the reason otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Tmpfs.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A small tmpfs mounted on a temporary folder, unmounted on disposal.</summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Why no tmpfs can be mounted here (not root, or mount refused), or null.</summary>
    public static string? UnavailableReason { get; } = FindUnavailableReason();

    private static string? FindUnavailableReason()
    {
        if (Environment.UserName != "root")
        {
            return "disk fault tests skipped: mounting a tmpfs needs root";
        }
        try
        {
            using var probe = Mount(1);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"disk fault tests skipped: cannot mount a tmpfs ({e.Message})";
        }
    }

    public static Tmpfs Mount(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("analyzer-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new Tmpfs(path);
    }

    public static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {error.Trim()}");
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }
}

/// <summary>
/// SQLite's disk full (a tmpfs of 24 MB filled up) and its file read-only (the service run without root's power to
/// ignore file modes): writes are 507 or 503 problem+json, never 500; reads go on; nothing is corrupt afterwards.
/// </summary>
public sealed class DiskFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-disk-");

    public void Dispose() => workingDirectory.Delete(recursive: true);

    private static StringContent Import(int citizens) => new(KillTrials.ImportJson(citizens, citizens), Encoding.UTF8, "application/json");

    private static async Task<string> AssertRefusedAsync(HttpResponseMessage response, params HttpStatusCode[] statuses)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(statuses.Contains(response.StatusCode), $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return body;
    }

    [RootFact]
    public async Task A_full_disk_refuses_writes_with_507_keeps_reads_and_corrupts_nothing()
    {
        using var tmpfs = Tmpfs.Mount(24);
        var file = Path.Combine(tmpfs.Path, "analyzer.db");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var service = await TrialService.StartAsync(AnalyzerProcess.Executable, "sqlite://" + file, workingDirectory.FullName, timeout.Token);
        await using (service)
        {
            using (var small = Import(50))
            using (var first = await service.Client.PostAsync(new Uri("/imports", UriKind.Relative), small))
            {
                Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            }
            var filler = Path.Combine(tmpfs.Path, "filler");
            FillUp(filler);

            using (var refused = await service.Client.PostAsync(new Uri("/imports", UriKind.Relative), Import(10_000)))
            {
                output.WriteLine(await AssertRefusedAsync(refused, HttpStatusCode.InsufficientStorage, HttpStatusCode.ServiceUnavailable));
            }
            using (var read = await service.Client.GetAsync(new Uri("/imports/1/citizens", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
            using (var health = await service.Client.GetAsync(new Uri("/health", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }

            File.Delete(filler);
            using var again = await service.Client.PostAsync(new Uri("/imports", UriKind.Relative), Import(10_000));
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        var store = StoreChecks.ForSqlite(file);
        Assert.Empty(await store.ViolationsAsync(timeout.Token));
        Assert.All((await store.ImportSizesAsync(timeout.Token)).Values, size => Assert.Contains(size, new long[] { 50, 10_000 }));
    }

    /// <summary>Writes to <paramref name="path"/> until the file system has no space left.</summary>
    private static void FillUp(string path)
    {
        var chunk = new byte[64 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // full
        }
    }

    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_read_only_database_file_is_read_and_its_writes_are_503()
    {
        var file = Path.Combine(workingDirectory.FullName, "analyzer.db");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using (var writable = await TrialService.StartAsync(AnalyzerProcess.Executable, "sqlite://" + file, workingDirectory.FullName, timeout.Token))
        {
            using var created = await writable.Client.PostAsync(new Uri("/imports", UriKind.Relative), Import(50));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        foreach (var part in Directory.GetFiles(workingDirectory.FullName, "analyzer.db*"))
        {
            File.SetUnixFileMode(part, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        // Root writes read-only files anyway: the service runs without that power (CAP_DAC_OVERRIDE), as a service user would.
        string[] withoutRootOverride = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"];
        await using (var readOnly = await TrialService.StartAsync(AnalyzerProcess.Executable, "sqlite://" + file, workingDirectory.FullName, timeout.Token,
            ["--no-migrate"], withoutRootOverride))
        {
            using (var read = await readOnly.Client.GetAsync(new Uri("/imports/1/citizens", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
            using (var refused = await readOnly.Client.PostAsync(new Uri("/imports", UriKind.Relative), Import(50)))
            {
                output.WriteLine(await AssertRefusedAsync(refused, HttpStatusCode.ServiceUnavailable));
            }
            using var name = new StringContent("""{"name": "Пётр"}""", Encoding.UTF8, "application/json");
            using var patch = await readOnly.Client.PatchAsync(new Uri("/imports/1/citizens/1", UriKind.Relative), name);
            await AssertRefusedAsync(patch, HttpStatusCode.ServiceUnavailable);
        }

        var store = StoreChecks.ForSqlite(file);
        Assert.Empty(await store.ViolationsAsync(timeout.Token));
        Assert.Equal([50L], (await store.ImportSizesAsync(timeout.Token)).Values);
    }
}
