using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Analyzer.Storage;

namespace Analyzer.Tests.Jobs;

/// <summary>Asynchronous requests and the polling of their jobs, as a client of the jobs API does it.</summary>
internal static class JobClient
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>POSTs <paramref name="content"/> with <c>Prefer: respond-async</c>; asserts the 202 and returns the job.</summary>
    public static async Task<JsonElement> PostAsyncJobAsync(this HttpClient client, string url, HttpContent content, string? idempotencyKey = null)
    {
        using var response = await client.SendAsync(AsyncRequest(url, content, idempotencyKey));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {url}: {(int)response.StatusCode} {body}");
        var job = JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();
        Assert.Equal($"/jobs/{job.GetProperty("id").GetInt64()}", response.Headers.Location?.OriginalString);
        Assert.Equal("respond-async", Assert.Single(response.Headers.GetValues("Preference-Applied")));
        Assert.Equal("queued", job.GetProperty("state").GetString());
        return job;
    }

    public static HttpRequestMessage AsyncRequest(string url, HttpContent content, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add("Prefer", "respond-async");
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return request;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> GetJobAsync(this HttpClient client, long id)
    {
        using var response = await client.GetAsync($"/jobs/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /jobs/{id}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();
    }

    /// <summary>Polls the job until <paramref name="until"/> holds (at most <see cref="Patience"/>).</summary>
    public static async Task<JsonElement> WaitForJobAsync(this HttpClient client, long id, Func<JsonElement, bool> until)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var job = await client.GetJobAsync(id);
            if (until(job))
            {
                return job;
            }
            Assert.False(patience.IsCancellationRequested, $"job {id} did not get there within {Patience}: {job}");
            await Task.Delay(25);
        }
    }

    public static Task<JsonElement> WaitUntilFinishedAsync(this HttpClient client, long id) =>
        client.WaitForJobAsync(id, job => job.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled");

    /// <summary>A CSV of <paramref name="rows"/> rows of two integer columns and a text column, generated as it is sent.</summary>
    public static HttpContent GeneratedCsv(int rows) => new CsvContent(rows);

    /// <summary>Whether the dataset's table exists in the database, whatever the catalog says.</summary>
    public static async Task<bool> DatasetTableExistsAsync(Database database, string name)
    {
        await using var session = await database.ConnectAsync(CancellationToken.None);
        await using var command = session.Command(database.Dialect.Name == "postgres"
            ? "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'datasets' AND table_name = @name"
            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'datasets.' || @name");
        command.AddParameter("@name", name);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0;
    }

    private sealed class CsvContent : HttpContent
    {
        private readonly int rows;

        public CsvContent(int rows)
        {
            this.rows = rows;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var text = new StringBuilder("id,value,label\n");
            for (var i = 1; i <= rows; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{i},{i % 977},row{i % 13}\n");
                if (text.Length > 64 * 1024 || i == rows)
                {
                    var bytes = Encoding.UTF8.GetBytes(text.ToString());
                    await stream.WriteAsync(bytes);
                    text.Clear();
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
