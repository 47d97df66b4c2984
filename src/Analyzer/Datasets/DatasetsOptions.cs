using System.ComponentModel.DataAnnotations;

using Analyzer.Web;

namespace Analyzer.Datasets;

/// <summary>
/// Settings of CSV datasets. See <see cref="Settings"/>.
/// </summary>
public sealed class DatasetsOptions
{
    [ConfigurationKeyName("MAX_UPLOAD_BYTES"), Setting("Largest CSV upload accepted; larger ones get 413"), Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 1024L * 1024 * 1024;

    [ConfigurationKeyName("CONFIRMATION_TTL_MINUTES"), Setting("How long a dataset confirmation link stays valid"), Range(1, int.MaxValue)]
    public int ConfirmationTtlMinutes { get; set; } = 24 * 60;

    [ConfigurationKeyName("MAX_CONCURRENT_UPLOADS"), Setting("How many CSV uploads are processed at once (default: twice the processor count)"), Range(1, int.MaxValue)]
    public int MaxConcurrentUploads { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>Empty: <c>analyzer-spool-USER</c> in the temporary folder. See <see cref="UploadSpool"/>.</summary>
    [ConfigurationKeyName("SPOOL_DIR"), Setting("Folder for uploads being received (default: analyzer-spool-USER in the temp folder); emptied of stale uploads at start")]
    public string SpoolDir { get; set; } = "";
}
