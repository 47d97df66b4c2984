using System.ComponentModel.DataAnnotations;
using Analyzer.Web;

namespace Analyzer.Storage;

/// <summary>
/// Settings of the database. See <see cref="Settings"/>.
/// </summary>
public sealed class StorageOptions
{
    [ConfigurationKeyName("DB"), Setting("Database URL: postgresql://user:password@host:port/dbname or sqlite:PATH (sqlite:///ABSOLUTE/PATH)")]
    [DatabaseUrl]
    public string Db { get; set; } = "sqlite:data/analyzer.db";

    [ConfigurationKeyName("NO_MIGRATE"), Setting("Do not apply pending migrations at start")]
    public bool NoMigrate { get; set; }

    /// <summary>Containers and systemd start the service and its database together: a database not reachable yet is retried this long.</summary>
    [ConfigurationKeyName("DB_WAIT"), Setting("Seconds to keep retrying at start while the database cannot be reached (0: try once)"), Range(0, int.MaxValue)]
    public int DbWaitSeconds { get; set; } = 30;

    [ConfigurationKeyName("PURGE_INTERVAL_MINUTES"), Setting("Minutes between purges of expired confirmation links and stale revocations (0: never)"), Range(0, int.MaxValue)]
    public int PurgeIntervalMinutes { get; set; } = 60;
}

/// <summary>A URL <see cref="DatabaseUrl.TryParse"/> accepts; its error never repeats the URL (it may hold a password).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DatabaseUrlAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        DatabaseUrl.TryParse(value as string, out _, out var error)
            ? ValidationResult.Success
            : new ValidationResult(error, validationContext.MemberName is { } member ? [member] : null);
}
