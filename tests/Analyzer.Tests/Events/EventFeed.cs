using System.Net;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Events;

/// <summary>Reading <c>GET /events</c> in tests: the position of the feed's end, and the events after a position.</summary>
internal static class EventFeed
{
    /// <summary>The id of the last event now in the feed (0 when it is empty), following next links.</summary>
    public static async Task<long> EndAsync(HttpClient client)
    {
        long after = 0;
        while (true)
        {
            var page = await PageAsync(client, $"/events?after={after}&limit=1000");
            if (page.Length == 0)
            {
                return after;
            }
            after = long.Parse(page[^1].GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Every event after <paramref name="after"/>, oldest first.</summary>
    public static async Task<List<JsonElement>> AfterAsync(HttpClient client, long after)
    {
        var events = new List<JsonElement>();
        while (true)
        {
            var page = await PageAsync(client, $"/events?after={after}&limit=1000");
            if (page.Length == 0)
            {
                return events;
            }
            events.AddRange(page);
            after = IdOf(page[^1]);
        }
    }

    public static async Task<JsonElement[]> PageAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return [.. body.GetProperty("data").EnumerateArray()];
    }

    public static long IdOf(JsonElement cloudEvent) =>
        long.Parse(cloudEvent.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
