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
