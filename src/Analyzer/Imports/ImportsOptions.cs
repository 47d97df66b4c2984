using System.ComponentModel.DataAnnotations;
using Analyzer.Web;

namespace Analyzer.Imports;

/// <summary>Settings of the imports. See <see cref="Settings"/>.</summary>
public sealed class ImportsOptions
{
    /// <summary>0 turns the snapshots off: every read goes to the database.</summary>
    [ConfigurationKeyName("CITIZEN_CACHE_MB"), Setting("MiB of memory for recently used imports' citizens, which GET citizens and the analyses read instead of the database while the import's version still matches (0: off)"), Range(0, 65536)]
    public int CitizenCacheMb { get; set; } = 32;

    /// <summary>Bodies of POST /imports larger than this are spooled to a file instead of held in memory.</summary>
    [ConfigurationKeyName("IMPORT_SPOOL_MB"), Setting("A POST /imports body larger than this many MiB is written to a file in --spool-dir as it arrives and read back from there, so that the service's memory does not grow with the body (0: every body)"), Range(0, 65536)]
    public int ImportSpoolMb { get; set; } = 16;
}
