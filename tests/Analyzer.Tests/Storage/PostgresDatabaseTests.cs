using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Npgsql;

namespace Analyzer.Tests.Storage;

/// <summary>How the PostgreSQL back end sets up its connections: a 64 KiB read buffer unless the URL chooses one.</summary>
public sealed class PostgresDatabaseTests : IPostgresTests
{
    private static async Task<int> ReadBufferSizeAsync(string query)
    {
        var cluster = await PostgresCluster.Instance;
        Assert.True(DatabaseUrl.TryParse(await cluster.CreateDatabaseAsync() + query, out var url, out var error), error);
        await using var database = new PostgresDatabase(url.ConnectionString);
        await using var session = await database.ConnectAsync(CancellationToken.None);
        return new NpgsqlConnectionStringBuilder(session.Connection.ConnectionString).ReadBufferSize;
    }

    [BackendFact]
    public async Task Connections_read_64_KiB_at_a_time_by_default() =>
        Assert.Equal(PostgresDatabase.DefaultReadBufferBytes, await ReadBufferSizeAsync(""));

    [BackendFact]
    public async Task A_read_buffer_size_in_the_URL_is_kept() =>
        Assert.Equal(16384, await ReadBufferSizeAsync("?Read%20Buffer%20Size=16384"));
}
