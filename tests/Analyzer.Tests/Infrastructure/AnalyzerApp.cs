using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Analyzer.Tests.Infrastructure;

/// <summary>A clock the tests set: "today" for birth-date validation and ages.</summary>
public sealed class FixedClock : TimeProvider
{
    public static readonly DateOnly DefaultToday = new(2026, 11, 21);

    public DateTimeOffset Now { get; set; } = new(DefaultToday, new TimeOnly(12, 0), TimeSpan.Zero);

    public DateOnly Today
    {
        get => DateOnly.FromDateTime(Now.UtcDateTime);
        set => Now = new DateTimeOffset(value, new TimeOnly(12, 0), TimeSpan.Zero);
    }

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The running service (in memory, through <see cref="WebApplicationFactory{TEntryPoint}"/>) on a
/// database of its own; one per test class. Subclasses choose the back end.
/// </summary>
public abstract class AnalyzerApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public FixedClock Clock { get; } = new();

    public string DatabaseUrl { get; private set; } = "";

    public LogCollector Logs { get; } = new();

    /// <summary>The lowest level an in-memory service writes to the console (the test run's output).</summary>
    public const LogLevel ConsoleLevel = LogLevel.Warning;

    /// <summary>The service's clock: <see cref="Clock"/>, unless a test needs timers that it drives.</summary>
    protected virtual TimeProvider Time => Clock;

    /// <summary>Extra configuration keys (Analyzer:MAX_REQUEST_BODY_BYTES, ...: Analyzer: and the variable without ANALYZER_).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Creates the database and returns its URL, or null when this back end is unavailable (its tests are skipped).</summary>
    /// <summary>
    /// How many imports and citizens rows are stored with an import_id above <paramref name="importId"/>: a refused
    /// import must leave none (its id may still be used up: a PostgreSQL identity is not rolled back).
    /// </summary>
    public async Task<(long Imports, long Citizens)> StoredAfterAsync(long importId)
    {
        var database = Services.GetRequiredService<Analyzer.Storage.Database>();
        await using var session = await database.ConnectAsync(CancellationToken.None);
        await using var command = session.Command(
            "SELECT (SELECT count(*) FROM imports WHERE import_id > @id), (SELECT count(*) FROM citizens WHERE import_id > @id)");
        Analyzer.Storage.DbCommandExtensions.AddParameter(command, "@id", importId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    protected abstract Task<string?> CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        if (await CreateDatabaseAsync() is { } url)
        {
            DatabaseUrl = url;
            _ = Server; // start now: migrations run here, not inside the first test
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(
            new Dictionary<string, string?>(Settings) { ["Analyzer:DB"] = DatabaseUrl }));
        builder.ConfigureServices(services => services.AddSingleton(Time));
        // Every entry goes to Logs, for assertions; the console (the test run's output) gets warnings and errors only,
        // so that a failing test's story is not buried under the access-log lines of the passing ones.
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<ConsoleLoggerProvider>(null, ConsoleLevel));
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}

public class SqliteApp : AnalyzerApp
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-sqlite-");

    protected override Task<string?> CreateDatabaseAsync() =>
        Task.FromResult<string?>("sqlite://" + Path.Combine(directory.FullName, "analyzer.db"));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }
}

public class PostgresApp : AnalyzerApp
{
    protected override async Task<string?> CreateDatabaseAsync() =>
        PostgresCluster.UnavailableReason is null || PostgresCluster.Required
            ? await (await PostgresCluster.Instance).CreateDatabaseAsync()
            : null;
}
