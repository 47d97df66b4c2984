using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analyzer.Storage;

/// <summary>
/// Whether geographic datasets use PostGIS: on PostgreSQL with <c>--postgis auto</c> when the server has the extension
/// (it is created if missing and permitted); otherwise — SQLite, a server without it, a role that may not create it, or
/// <c>--postgis off</c> — the portable fallback. Decided once, at start (<see cref="SpatialDetection"/>), and logged.
/// No migration depends on the extension, so a database without it migrates all the same.
/// </summary>
public sealed class Spatial(Database database, IOptions<StorageOptions> options, ILogger<Spatial> logger)
{
    public const string Auto = "auto";
    public const string Off = "off";

    private readonly SemaphoreSlim once = new(1, 1);
    private bool? usesPostGis;

    /// <summary>True when geographic datasets use PostGIS. A failed check (the database unreachable) is retried on the next call.</summary>
    public async Task<bool> UsesPostGisAsync(CancellationToken cancellationToken)
    {
        if (usesPostGis is { } known)
        {
            return known;
        }
        await once.WaitAsync(cancellationToken);
        try
        {
            usesPostGis ??= await DetectAsync(cancellationToken);
            return usesPostGis.Value;
        }
        finally
        {
            once.Release();
        }
    }

    private async Task<bool> DetectAsync(CancellationToken cancellationToken)
    {
        if (database.Dialect != SqlDialect.Postgres)
        {
            logger.LogInformation("Geography: bounding box on a (lat, lon) index plus haversine (SQLite has no PostGIS)");
            return false;
        }
        if (options.Value.Postgis == Off)
        {
            logger.LogInformation("Geography: bounding box on a (lat, lon) index plus haversine (--postgis off)");
            return false;
        }
        await using var session = await database.ConnectAsync(cancellationToken);
        var (installed, available) = await ExtensionStateAsync(session, cancellationToken);
        if (installed is null && available is not null)
        {
            try
            {
                await session.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS postgis", cancellationToken);
            }
            catch (PostgresException e)
            {
                // Not permitted (or another replica created it at the same moment): the state below tells which.
                logger.LogWarning("Geography: CREATE EXTENSION postgis failed: {Reason}", e.MessageText);
            }
            (installed, _) = await ExtensionStateAsync(session, cancellationToken);
        }
        if (installed is not null)
        {
            logger.LogInformation("Geography: PostGIS {Version} (geography column, GiST index, ST_DWithin, ST_DistanceSphere)", installed);
            return true;
        }
        logger.LogInformation("Geography: bounding box on a (lat, lon) index plus haversine ({Reason})",
            available is null ? "the server has no PostGIS extension" : "PostGIS could not be created in this database");
        return false;
    }

    /// <summary>The installed and the available version of the postgis extension (null where none).</summary>
    private static async Task<(string? Installed, string? Available)> ExtensionStateAsync(DbSession session, CancellationToken cancellationToken)
    {
        await using var command = session.Command(
            "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'postgis'), (SELECT default_version FROM pg_available_extensions WHERE name = 'postgis')");
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}

/// <summary>Decides (and logs) the geography path when the service starts, after the migrations; a database not reachable then is asked again on first use.</summary>
public sealed class SpatialDetection(Spatial spatial, ILogger<SpatialDetection> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await spatial.UsesPostGisAsync(cancellationToken);
        }
        catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            logger.LogWarning("Geography: cannot tell yet whether PostGIS is available ({Reason}); asking again on first use", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
