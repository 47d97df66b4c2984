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

    /// <summary>
    /// SQLite has one writer at a time: a write behind a long upload waits for the lock this long, then is answered
    /// 503 with Retry-After. 10 s (the connection's own default is 30 s) is far more than any ordinary write holds
    /// the lock, so concurrent short writes still queue and succeed, and short enough that a client (and any proxy
    /// in front, whose timeouts are often 30 s) gets a prompt answer it can retry instead of a hang.
    /// </summary>
    [ConfigurationKeyName("DB_BUSY_TIMEOUT"), Setting("Seconds a SQLite write waits for another write to finish before it is answered 503 (PostgreSQL: unused)"), Range(1, 3600)]
    public int DbBusyTimeout { get; set; } = 10;

    /// <summary>Containers and systemd start the service and its database together: a database not reachable yet is retried this long.</summary>
    [ConfigurationKeyName("DB_WAIT"), Setting("Seconds to keep retrying at start while the database cannot be reached (0: try once)"), Range(0, int.MaxValue)]
    public int DbWaitSeconds { get; set; } = 30;

    /// <summary>
    /// Geographic datasets use PostGIS (a geography column and a GiST index; ST_DWithin, ST_DistanceSphere) when the
    /// PostgreSQL server has the extension; <c>off</c> forces the portable fallback (bounding box on a (lat, lon) index plus
    /// haversine), which SQLite always uses. See <see cref="Spatial"/>.
    /// </summary>
    [ConfigurationKeyName("POSTGIS"), Setting("PostgreSQL: auto uses PostGIS for geographic datasets when the extension is available (created if permitted), off always uses the bounding-box and haversine fallback")]
    [AllowedValues(Spatial.Auto, Spatial.Off)]
    public string Postgis { get; set; } = Spatial.Auto;

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
