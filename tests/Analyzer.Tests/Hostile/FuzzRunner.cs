using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Analyzer.Tests.Hostile;

/// <summary>What a run saw: cases sent, answers by status, and every broken promise (at most <see cref="MaxFailures"/> kept).</summary>
public sealed class FuzzReport
{
    public const int MaxFailures = 20;

    public int Cases { get; set; }

    /// <summary>Cases the HTTP client itself refused to send (a header it cannot encode); not counted in <see cref="Cases"/>.</summary>
    public int NotSent { get; set; }

    /// <summary>Why the client refused the first case it did not send.</summary>
    public string? FirstNotSent { get; set; }

    public int ServerErrors { get; set; }

    public int NotProblems { get; set; }

    public int ChangedByRefusal { get; set; }

    /// <summary>
    /// 4xx that Kestrel answered before the application saw the request (a malformed request line or header, over
    /// sockets only): an empty body without <c>X-Request-Id</c>, which the application sets on everything it answers.
    /// </summary>
    public int RefusedByServer { get; set; }

    /// <summary>
    /// 503 with <c>Retry-After</c> (the database busy or unreachable: <c>Unavailable</c>), each sent once more after a
    /// second, as a client would; the second answer is the one checked. Load, not input: the fault tests own it.
    /// </summary>
    public int BusyRetried { get; set; }

    public SortedDictionary<int, int> ByStatus { get; } = [];

    public SortedDictionary<string, double> MillisecondsByKind { get; } = new(StringComparer.Ordinal);

    public double DigestMilliseconds { get; set; }

    public SortedDictionary<string, int> ByKind { get; } = new(StringComparer.Ordinal);

    public List<string> Failures { get; } = [];

    public void Fail(string failure)
    {
        if (Failures.Count < MaxFailures)
        {
            Failures.Add(failure);
        }
    }

    public override string ToString() =>
        $"{Cases} cases ({string.Join(", ", ByKind.Select(k => $"{k.Key}: {k.Value}"))}); answers {string.Join(", ", ByStatus.Select(s => $"{s.Key}: {s.Value}"))}; "
        + $"5xx: {ServerErrors}, 4xx without problem+json: {NotProblems}, 4xx that changed the database: {ChangedByRefusal}, 4xx from Kestrel before the application: {RefusedByServer}, 503 busy and retried: {BusyRetried}, not sent by the client: {NotSent} {FirstNotSent}; ms {string.Join(", ", MillisecondsByKind.Select(k => $"{k.Key}: {k.Value:F0}"))}, digest {DigestMilliseconds:F0}";
}

/// <summary>
/// Sends fuzz cases one at a time and checks each answer: never a 5xx; a 4xx is problem+json with its status, and
/// leaves the database as it was (<see cref="TableDigest"/> before and after). What a 2xx creates (an import, a
/// dataset) is deleted again, so that the database stays small and the digest cheap.
/// </summary>
public static class FuzzRunner
{
    public static async Task<FuzzReport> RunAsync(HttpClient client, FuzzTargets targets, IEnumerable<FuzzRequest> cases,
        Func<Task<string>> digest, CancellationToken cancellationToken, bool rawPaths = false)
    {
        var report = new FuzzReport();
        async Task<string> DigestAsync()
        {
            var started = Stopwatch.GetTimestamp();
            var digested = await digest();
            report.DigestMilliseconds += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return digested;
        }
        var before = await DigestAsync();
        foreach (var fuzz in cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var request = Build(client, targets, fuzz, rawPaths);
            HttpResponseMessage response;
            var sent = Stopwatch.GetTimestamp();
            try
            {
                response = await client.SendAsync(request, cancellationToken);
                if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                {
                    report.BusyRetried++;
                    response.Dispose();
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    using var again = Build(client, targets, fuzz, rawPaths);
                    response = await client.SendAsync(again, cancellationToken);
                }
            }
            catch (Exception e) when (e is HttpRequestException { InnerException: not IOException } or InvalidOperationException or FormatException or UriFormatException)
            {
                report.NotSent++; // the client's own refusal (e.g. a header value it will not encode): the service saw nothing
                report.FirstNotSent ??= $"({fuzz.Describe()}: {e.GetType().Name}: {e.Message})";
                continue;
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                var body = await DecodedBodyAsync(response, cancellationToken);
                report.Cases++;
                report.MillisecondsByKind[fuzz.Kind] = report.MillisecondsByKind.GetValueOrDefault(fuzz.Kind) + Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                report.ByStatus[status] = report.ByStatus.GetValueOrDefault(status) + 1;
                report.ByKind[fuzz.Kind] = report.ByKind.GetValueOrDefault(fuzz.Kind) + 1;
                if (status >= 500)
                {
                    report.ServerErrors++;
                    report.Fail($"{status} for {fuzz.Describe()}: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 600)])}");
                }
                else if (status >= 400)
                {
                    if (body.Length == 0 && !response.Headers.Contains("X-Request-Id"))
                    {
                        report.RefusedByServer++;
                    }
                    else if (!IsProblem(response, body, status))
                    {
                        report.NotProblems++;
                        report.Fail($"{status} without a problem+json body ({response.Content.Headers.ContentType}) for {fuzz.Describe()}");
                    }
                    var after = await DigestAsync();
                    if (after != before)
                    {
                        report.ChangedByRefusal++;
                        report.Fail($"{status} changed the database, for {fuzz.Describe()}");
                        before = after;
                    }
                    continue;
                }
                await CleanUpAsync(client, targets, fuzz, response, body, cancellationToken);
            }
            before = await DigestAsync();
        }
        return report;
    }

    /// <summary>
    /// With <paramref name="rawPaths"/> the path and query go out exactly as generated, broken percent-encodings included
    /// (over sockets); the in-memory test server reads the path through <see cref="Uri"/> and needs it canonical.
    /// </summary>
    private static HttpRequestMessage Build(HttpClient client, FuzzTargets targets, FuzzRequest fuzz, bool rawPaths)
    {
        var address = client.BaseAddress!.GetLeftPart(UriPartial.Authority) + fuzz.Path;
        var uri = rawPaths ? new Uri(address, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }) : new Uri(address);
        var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), uri);
        if (fuzz.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            if (fuzz.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        var authorization = fuzz.Authorization ?? "Bearer " + targets.ValidToken;
        if (authorization.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        foreach (var (name, value) in fuzz.Headers ?? [])
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return request;
    }

    /// <summary>The body as the service meant it: a fuzzed Accept-Encoding may have it compressed.</summary>
    private static async Task<byte[]> DecodedBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var raw = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var decoded = response.Content.Headers.ContentEncoding.LastOrDefault() switch
        {
            "br" => new BrotliStream(raw, CompressionMode.Decompress),
            "gzip" => new GZipStream(raw, CompressionMode.Decompress),
            _ => raw,
        };
        using var buffer = new MemoryStream();
        await decoded.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static bool IsProblem(HttpResponseMessage response, byte[] body, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return false;
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("status", out var stated) && stated.TryGetInt32(out var number) && number == status
                && json.RootElement.TryGetProperty("title", out _) && json.RootElement.TryGetProperty("detail", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Deletes a dataset or an import the case created (not the targets: a replaced target dataset stays).</summary>
    private static async Task CleanUpAsync(HttpClient client, FuzzTargets targets, FuzzRequest fuzz, HttpResponseMessage response, byte[] body,
        CancellationToken cancellationToken)
    {
        if (fuzz.Method != "POST" || response.StatusCode != System.Net.HttpStatusCode.Created)
        {
            return;
        }
        string? path = null;
        if (response.Headers.Location is { } location && location.OriginalString.StartsWith("/datasets/", StringComparison.Ordinal)
            && location.OriginalString != "/datasets/" + targets.Dataset)
        {
            path = location.OriginalString;
        }
        else if (fuzz.Path.StartsWith("/imports", StringComparison.Ordinal))
        {
            using var json = JsonDocument.Parse(body);
            path = "/imports/" + json.RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        }
        if (path is null)
        {
            return;
        }
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path));
        delete.Headers.Authorization = new AuthenticationHeaderValue("Bearer", targets.ValidToken);
        using var deleted = await client.SendAsync(delete, cancellationToken);
        if (!deleted.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"DELETE {path} after {fuzz.Describe()}: {(int)deleted.StatusCode}");
        }
    }
}
