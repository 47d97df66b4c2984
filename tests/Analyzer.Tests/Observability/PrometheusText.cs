using System.Globalization;
using System.Text.RegularExpressions;

namespace Analyzer.Tests.Observability;

/// <summary>One sample of a Prometheus text exposition: <c>name{label="value",...} value</c>.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the samples of Prometheus' text format (0.0.4), enough for the tests to find series and their values.</summary>
public static partial class PrometheusText
{
    /// <summary>GET /metrics: 200, Prometheus' text format, its samples.</summary>
    public static async Task<IReadOnlyList<Sample>> ScrapeAsync(this HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"GET /metrics: {(int)response.StatusCode} {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(text);
    }

    /// <summary>
    /// Scrapes every 200 ms until <paramref name="done"/> holds or <paramref name="within"/> has passed, and returns the
    /// last scrape: the exporter serves a scrape from its cache for a moment, and gauges read the database now and then.
    /// </summary>
    public static async Task<IReadOnlyList<Sample>> ScrapeUntilAsync(this HttpClient client, Func<IReadOnlyList<Sample>, bool> done, TimeSpan within)
    {
        var samples = await client.ScrapeAsync();
        for (var waited = TimeSpan.Zero; waited < within && !done(samples); waited += TimeSpan.FromMilliseconds(200))
        {
            await Task.Delay(200);
            samples = await client.ScrapeAsync();
        }
        return samples;
    }

    public static IReadOnlyList<Sample> Parse(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(ParseLine)];

    private static Sample ParseLine(string line)
    {
        var match = SampleLine().Match(line);
        Assert.True(match.Success, $"not a sample line of the text format: {line}");
        var labels = LabelPair().Matches(match.Groups["labels"].Value)
            .ToDictionary(m => m.Groups[1].Value, m => Regex.Unescape(m.Groups[2].Value), StringComparer.Ordinal);
        var text = match.Groups["value"].Value;
        var value = text switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(match.Groups["name"].Value, labels, value);
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public static double Sum(this IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    public static bool Has(this IReadOnlyList<Sample> samples, string name) => samples.Any(s => s.Name == name);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+-?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
