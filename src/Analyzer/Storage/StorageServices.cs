using Analyzer.Web;
using Microsoft.Extensions.Options;

namespace Analyzer.Storage;

public static class StorageServices
{
    /// <summary>Builds the one store of the configured <c>--db</c> URL (on first use) and its migrator.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton<ICitizenStore>(provider => Open(provider.GetRequiredService<IOptions<StorageOptions>>().Value.Db));
        services.AddSingleton<Migrator>();
        return services;
    }

    public static ICitizenStore Open(string databaseUrl)
    {
        if (!DatabaseUrl.TryParse(databaseUrl, out var url, out var error))
        {
            throw new OptionsValidationException(nameof(StorageOptions.Db), typeof(StorageOptions), [error]);
        }
        return url.Kind == DatabaseKind.Postgres ? new PostgresStore(url.ConnectionString) : new SqliteStore(url);
    }
}
