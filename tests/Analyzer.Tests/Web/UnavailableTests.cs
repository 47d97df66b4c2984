using System.Net;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Tests.Web;

/// <summary>What <see cref="Unavailable.IsUnavailable"/> makes of failures that real SQLite databases raise.</summary>
public sealed class SqliteUnavailableTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-unavailable-");

    private string File => Path.Combine(directory.FullName, "test.db");

    private SqliteConnection Open(int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection($"Data Source={File};Pooling=false;Default Timeout={timeoutSeconds}");
        connection.Open();
        return connection;
    }

    [Fact]
    public void Busy_is_unavailable()
    {
        using var holder = Open();
        using var transaction = holder.BeginTransaction(deferred: false);
        using var waiter = Open(timeoutSeconds: 1);
        var busy = Assert.Throws<SqliteException>(() => waiter.BeginTransaction(deferred: false));
        Assert.True(Unavailable.IsUnavailable(busy), busy.Message);
        Assert.True(Unavailable.IsUnavailable(new InvalidOperationException("wrapped", busy)));
    }

    [Fact]
    public void A_database_file_that_cannot_be_opened_is_unavailable()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(directory.FullName, "missing", "x.db")};Pooling=false");
        var cannotOpen = Assert.Throws<SqliteException>(connection.Open);
        Assert.True(Unavailable.IsUnavailable(cannotOpen), cannotOpen.Message);
    }

    [Fact]
    public void Errors_of_the_statement_are_not_unavailable()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM no_such_table";
        var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
        Assert.False(Unavailable.IsUnavailable(error), error.Message);
        Assert.False(Unavailable.IsUnavailable(new InvalidOperationException("no database involved")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }
}

/// <summary>What <see cref="Unavailable.IsUnavailable"/> makes of failures that a real PostgreSQL server raises, and the service's answer.</summary>
public sealed class PostgresUnavailableTests(PostgresApp app) : IClassFixture<PostgresApp>, IPostgresTests
{
    private string ConnectionString
    {
        get
        {
            Assert.True(DatabaseUrl.TryParse(app.DatabaseUrl, out var url, out var error), error);
            return new NpgsqlConnectionStringBuilder(url.ConnectionString) { Pooling = false }.ConnectionString;
        }
    }

    private async Task TerminateOtherBackendsAsync()
    {
        await using var admin = new NpgsqlConnection(ConnectionString);
        await admin.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
        await terminate.ExecuteScalarAsync();
    }

    [BackendFact]
    public async Task A_connection_terminated_by_the_server_is_unavailable()
    {
        await using var victim = new NpgsqlConnection(ConnectionString);
        await victim.OpenAsync();
        await TerminateOtherBackendsAsync();
        await using var command = new NpgsqlCommand("SELECT 1", victim);
        var failure = await Assert.ThrowsAnyAsync<NpgsqlException>(() => command.ExecuteScalarAsync());
        Assert.True(Unavailable.IsUnavailable(failure), $"{failure.GetType().Name} {(failure as PostgresException)?.SqlState}: {failure.Message}");
    }

    [BackendFact]
    public async Task A_refused_connection_is_unavailable()
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={AnalyzerProcess.FreePort()};Username=u;Database=x;Timeout=2;Pooling=false");
        var failure = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.True(Unavailable.IsUnavailable(failure), failure.ToString());
    }

    [BackendFact]
    public async Task Errors_of_the_statement_are_not_unavailable()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT * FROM no_such_table", connection);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.False(Unavailable.IsUnavailable(failure), failure.Message);
    }

    [BackendFact]
    public async Task A_request_on_a_pooled_connection_the_server_terminated_is_a_503_with_retry_after()
    {
        using var client = app.CreateClient();
        // The pool may still hold connections another test of this class had terminated: each fails once, then is gone.
        for (var attempt = 1; ; attempt++)
        {
            using var warm = await client.GetAsync("/imports/424242/citizens");
            if (warm.StatusCode == HttpStatusCode.NotFound || attempt == 50)
            {
                await warm.AssertProblemAsync(HttpStatusCode.NotFound);
                break;
            }
        }
        await TerminateOtherBackendsAsync();

        using var response = await client.GetAsync("/imports/424242/citizens");

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {response.Headers.RetryAfter}");
    }
}
