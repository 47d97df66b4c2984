namespace Analyzer.Web;

/// <summary>Settings of a running service; the CLI fills them from its options and ANALYZER_* variables.</summary>
public sealed class AnalyzerOptions
{
    public const string Section = "Analyzer";

    public const string DefaultDatabase = "sqlite:data/analyzer.db";

    /// <summary>The database URL: postgresql://user:password@host:port/dbname or sqlite:PATH.</summary>
    public string Db { get; set; } = DefaultDatabase;

    /// <summary>Apply pending migrations at start.</summary>
    public bool Migrate { get; set; } = true;

    public long MaxRequestBodyBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Largest CSV upload accepted; larger ones get 413.</summary>
    public long MaxUploadBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How many uploads and imports run at once; one more gets 503 with Retry-After.</summary>
    public int MaxConcurrentUploads { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>How long a confirmation link of a dataset change stays valid.</summary>
    public int ConfirmationTtlMinutes { get; set; } = 24 * 60;

    /// <summary>Origins allowed by CORS, comma separated; empty turns CORS off.</summary>
    public string CorsOrigins { get; set; } = "";

    /// <summary>How long a stopping service waits for requests in flight.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;
}
