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
}
