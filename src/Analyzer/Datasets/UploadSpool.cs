using Microsoft.Extensions.Options;

namespace Analyzer.Datasets;

/// <summary>
/// The service's own folder for uploads being received (<c>--spool-dir</c>, by default <c>analyzer-spool-USER</c> in
/// the temporary folder): each upload is a <c>analyzer-upload-*.csv</c> there, deleted when the request ends
/// (<see cref="CsvUpload"/>). A process killed with SIGKILL cannot delete its files, so every start removes the
/// ones no live process holds: a file being received is locked (opened with <see cref="FileShare.None"/>, an
/// exclusive <c>flock</c> on Unix), so a service sharing the folder keeps its uploads.
/// </summary>
public sealed partial class UploadSpool(IOptions<DatasetsOptions> options, ILogger<UploadSpool> logger) : IHostedService
{
    /// <summary>How the names of spooled uploads start.</summary>
    public const string Prefix = CsvUpload.SpoolPrefix;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The folder: <see cref="DatasetsOptions.SpoolDir"/>, else <c>analyzer-spool-USER</c> in the temporary folder.</summary>
    public string Directory { get; } = options.Value.SpoolDir is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : Path.Combine(Path.GetTempPath(), "analyzer-spool-" + Environment.UserName);

    /// <summary>A new spool file, deleted when it is closed.</summary>
    public FileStream Create(string extension = ".csv")
    {
        EnsureDirectory();
        return new FileStream(Path.Combine(Directory, $"{Prefix}{Guid.NewGuid():N}{extension}"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }

    private void EnsureDirectory()
    {
        if (new DirectoryInfo(Directory).LinkTarget is not null)
        {
            throw new IOException($"the spool folder {Directory} is a symbolic link; remove it or choose another with --spool-dir");
        }
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, OwnerOnly);
        }
    }

    /// <summary>Creates the folder and removes the uploads that processes killed before they could.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureDirectory();
        var removed = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*"))
        {
            try
            {
                // Taking the lock proves that no live process is receiving into it.
                new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose).Dispose();
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a live process (or not ours to delete): leave it.
            }
        }
        if (removed > 0)
        {
            LogRemoved(logger, removed, Directory);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} upload(s) left in {Directory} by a service that was killed")]
    private static partial void LogRemoved(ILogger logger, int count, string directory);
}
