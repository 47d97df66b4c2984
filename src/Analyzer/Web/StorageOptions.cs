using System.ComponentModel.DataAnnotations;
using Analyzer.Storage;

namespace Analyzer.Web;

/// <summary>
/// Settings of the database. See <see cref="Settings"/>. (With the other options classes in Web/ until the
/// rewrite of Storage/ has landed; it can move there unchanged but for its namespace.)
/// </summary>
public sealed class StorageOptions
{
    [ConfigurationKeyName("DB"), Setting("Database URL: postgresql://user:password@host:port/dbname or sqlite:PATH (sqlite:///ABSOLUTE/PATH)")]
    [DatabaseUrl]
    public string Db { get; set; } = "sqlite:data/analyzer.db";

    [ConfigurationKeyName("NO_MIGRATE"), Setting("Do not apply pending migrations at start")]
    public bool NoMigrate { get; set; }
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
