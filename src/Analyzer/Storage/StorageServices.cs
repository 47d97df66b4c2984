using Analyzer.Web;
using Microsoft.Extensions.Options;

namespace Analyzer.Storage;

public static class StorageServices
{
    /// <summary>Registers the one <see cref="Database"/> of the configured <c>--db</c> URL (opened on first use) and its migrator.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var database = Open(options.Db, options.DbBusyTimeout);
            database.Clock = provider.GetRequiredService<TimeProvider>();
            return database;
        });
        services.AddSingleton<Migrator>();
        services.AddSingleton<Spatial>();
        services.AddHostedService<SpatialDetection>();
        services.AddHostedService<Housekeeping>();
        return services;
    }

    /// <summary>The database of <paramref name="databaseUrl"/>; on SQLite a write waits <paramref name="busyTimeoutSeconds"/> for the lock (default: the URL's 30 s).</summary>
    public static Database Open(string databaseUrl, int? busyTimeoutSeconds = null)
    {
        if (!DatabaseUrl.TryParse(databaseUrl, out var url, out var error))
        {
            throw new OptionsValidationException(nameof(StorageOptions.Db), typeof(StorageOptions), [error]);
        }
        return url.Kind == DatabaseKind.Postgres ? new PostgresDatabase(url.ConnectionString) : new SqliteDatabase(url, busyTimeoutSeconds);
    }
}
