using System.Net;
using System.Text;

namespace Analyzer.Tests.Hostile;

/// <summary>What the cases aim at, created through the API: an import of <see cref="FuzzCases.ValidImport"/> and a small dataset.</summary>
public static class FuzzSetup
{
    public static async Task<FuzzTargets> CreateTargetsAsync(HttpClient client, string token, byte[] secret, string issuer, string audience)
    {
        using var import = await client.PostAsync("/imports", new StringContent(FuzzCases.ValidImport, Encoding.UTF8, "application/json"));
        var importBody = await import.Content.ReadAsStringAsync();
        if (import.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /imports: {(int)import.StatusCode} {importBody}");
        }
        var importId = System.Text.Json.JsonDocument.Parse(importBody).RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        var dataset = "fuzz_target";
        using var upload = await client.PostAsync($"/datasets?name={dataset}",
            new StringContent("n,label,d,x\n1,one,2024-05-01,1.5\n2,two,2024-05-02,2.5\n3,three,0001-01-01,-1\n", Encoding.UTF8, "text/csv"));
        if (upload.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /datasets: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
        }
        return new FuzzTargets(importId, 2, dataset, token, secret, issuer, audience);
    }
}
