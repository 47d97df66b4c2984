using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Analyzer.Tests.Infrastructure;

/// <summary>Small HTTP helpers: raw JSON in (so tests can send broken bodies), parsed JSON out.</summary>
public static class ApiClient
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(json) });

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, string json) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, url) { Content = Json(json) });

    public static StringContent Json(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>POSTs an import that must be accepted; returns its id.</summary>
    public static async Task<long> CreateImportAsync(this HttpClient client, JsonNode body)
    {
        using var response = await client.PostJsonAsync("/imports", body.ToJsonString());
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /imports: {(int)response.StatusCode} {json}");
        return json.GetProperty("data").GetProperty("import_id").GetInt64();
    }

    /// <summary>GET /imports/{id}/citizens as citizen_id → citizen (relatives sorted).</summary>
    public static async Task<SortedDictionary<int, JsonObject>> GetCitizensAsync(this HttpClient client, long importId)
    {
        using var response = await client.GetAsync($"/imports/{importId}/citizens");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsArray();
        var result = new SortedDictionary<int, JsonObject>();
        foreach (var citizen in data.Select(c => c!.AsObject()))
        {
            var relatives = citizen["relatives"]!.AsArray().Select(r => r!.GetValue<int>()).Order().ToArray();
            citizen["relatives"] = new JsonArray([.. relatives.Select(r => (JsonNode)r)]);
            result.Add(citizen["citizen_id"]!.GetValue<int>(), citizen);
        }
        return result;
    }

    /// <summary>Asserts a problem+json answer with the given status; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("detail").GetString()));
        return json;
    }
}
