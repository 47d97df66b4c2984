using System.Net;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Analyzer.Tests.Imports;

/// <summary>
/// GET .../citizens streams: a failure once the body has begun must break the transfer, never append a problem
/// to a half-written <c>{"data":[...</c>. The failure is real: one citizen's stored birth date made unreadable behind the
/// service's back (so the service must not hold the import in memory, which would answer from there).
/// </summary>
public sealed class StreamingFailureTests(StreamingSqliteApp app) : IClassFixture<StreamingSqliteApp>
{
    private readonly HttpClient client = app.CreateClient();

    private Task<long> ImportWithUnreadableCitizenAsync(int count, int position) =>
        ImportWithUnreadableCitizenAsync(client, app.DatabaseUrl["sqlite://".Length..], count, position);

    /// <summary>An import of <paramref name="count"/> citizens whose citizen at <paramref name="position"/> (by id) cannot be read.</summary>
    private static async Task<long> ImportWithUnreadableCitizenAsync(HttpClient client, string databaseFile, int count, int position)
    {
        var importId = await client.CreateImportAsync(Citizens.Random(count, count / 2, seed: 11, FixedClock.DefaultToday));
        await using var connection = new SqliteConnection($"Data Source={databaseFile};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE citizens SET birth_date = 'not a date'
            WHERE import_id = $import AND citizen_id =
                (SELECT citizen_id FROM citizens WHERE import_id = $import ORDER BY citizen_id LIMIT 1 OFFSET $position)
            """;
        command.Parameters.AddWithValue("$import", importId);
        command.Parameters.AddWithValue("$position", position);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
        return importId;
    }

    [Theory]
    [InlineData(200, 50, null)] // fails before the first flush: nothing has reached the client yet
    [InlineData(2000, 1500, null)] // fails after several flushes
    [InlineData(200, 50, "gzip")]
    public async Task A_failure_after_streaming_began_aborts_the_response(int count, int position, string? encoding)
    {
        var importId = await ImportWithUnreadableCitizenAsync(count, position);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/imports/{importId}/citizens");
        if (encoding is not null)
        {
            request.Headers.Add("Accept-Encoding", encoding);
        }

        string? body = null;
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            body = await response.Content.ReadAsStringAsync();
        });

        // The in-memory server reports an aborted request as OperationCanceledException (the client cancelled nothing).
        Assert.True(failure is HttpRequestException or IOException or OperationCanceledException and not TaskCanceledException { InnerException: TimeoutException },
            $"expected a broken transfer, got {failure?.GetType().Name}; body: {body?[..Math.Min(body.Length, 300)]}");
    }

    [Fact]
    public async Task Over_http_a_failure_after_streaming_began_is_a_broken_transfer()
    {
        var directory = Directory.CreateTempSubdirectory("analyzer-stream-");
        try
        {
            var file = Path.Combine(directory.FullName, "analyzer.db");
            await using var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", "sqlite://" + file, "--log-level", "Warning", "--citizen-cache-mb", "0");
            var importId = await ImportWithUnreadableCitizenAsync(server.Client, file, 200, 50);

            string? body = null;
            var failure = await Record.ExceptionAsync(async () =>
            {
                using var response = await server.Client.GetAsync($"/imports/{importId}/citizens", HttpCompletionOption.ResponseHeadersRead);
                body = await response.Content.ReadAsStringAsync();
            });

            Assert.True(failure is HttpRequestException or IOException,
                $"expected a broken transfer, got {failure?.GetType().Name}; body: {body?[..Math.Min(body.Length, 300)]}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_failure_before_the_first_citizen_is_written_is_a_whole_500_problem()
    {
        var importId = await ImportWithUnreadableCitizenAsync(20, 0);

        using var response = await client.GetAsync($"/imports/{importId}/citizens");

        var problem = await response.AssertProblemAsync(HttpStatusCode.InternalServerError);
        Assert.Equal(JsonValueKind.Object, problem.ValueKind);
        Assert.False(problem.TryGetProperty("data", out _));
    }
}
