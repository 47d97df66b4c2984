using System.ComponentModel.DataAnnotations;
using Analyzer.Web;

namespace Analyzer.Imports;

/// <summary>Settings of the imports. See <see cref="Settings"/>.</summary>
public sealed class ImportsOptions
{
    /// <summary>0 turns the snapshots off: every read goes to the database.</summary>
    [ConfigurationKeyName("CITIZEN_CACHE_MB"), Setting("MiB of memory for recently used imports' citizens, which GET citizens and the analyses read instead of the database while the import's version still matches (0: off)"), Range(0, 65536)]
    public int CitizenCacheMb { get; set; } = 32;
}
