using System.Net;
using System.Text.Json;
using Analyzer.Tests.Infrastructure;
using static Analyzer.Tests.Infrastructure.Citizens;

namespace Analyzer.Tests.Events;

/// <summary><c>analyzer events tail</c>, run as the executable against the relay's topic in a mock cluster.</summary>
public sealed class EventsTailTests(KafkaPostgresApp app, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<KafkaPostgresApp>, IPostgresTests
{
    private HttpClient Client { get; } = app.CreateClient();

    [BackendFact]
    public async Task Tail_prints_events_as_json_lines_and_a_group_resumes_after_what_it_committed()
    {
        var importId = await Client.CreateImportAsync(ContractExample());
        for (var i = 0; i < 5; i++)
        {
            using var patched = await Client.PatchJsonAsync($"/imports/{importId}/citizens/1", $$"""{"apartment": {{i}}}""");
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        var group = "tail-" + Guid.NewGuid().ToString("N")[..8];
        // The mock cluster lets a group go on only after the member that left timed out: a short session keeps that short.
        string[] tail = ["events", "tail", "--kafka-bootstrap-servers", app.Kafka.BootstrapServers, "--group", group, "--max-events", "3",
            "--kafka-config", "session.timeout.ms=6000", "--kafka-config", "heartbeat.interval.ms=1000"];

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = await AnalyzerProcess.RunAsync(AppContext.BaseDirectory, null, [.. tail, "--from-beginning"]);
        output.WriteLine($"first tail: {clock.Elapsed}");
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await AnalyzerProcess.RunAsync(AppContext.BaseDirectory, null, tail);
        output.WriteLine($"second tail: {clock.Elapsed}");
        Assert.True(second.ExitCode == 0, second.ToString());

        var lines = first.OutputLines.Concat(second.OutputLines).ToList();
        Assert.Equal(6, lines.Count);
        var events = lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        Assert.All(events, e => Assert.Equal("1.0", e.GetProperty("specversion").GetString()));
        var ids = events.Select(EventFeed.IdOf).ToList();
        Assert.Equal(ids.Order(), ids); // one key (the import): its partition's order, and the second run went on after the first's commit
        Assert.Equal(6, ids.Distinct().Count());
        Assert.Equal("import.created", events[0].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(new[] { "events", "tail" }, "--kafka-bootstrap-servers")]
    [InlineData(new[] { "events", "tail", "--kafka-bootstrap-servers", "127.0.0.1:1", "--max-events", "-1" }, "--max-events")]
    [InlineData(new[] { "events", "tail", "--kafka-bootstrap-servers", "127.0.0.1:1", "--kafka-config", "acks" }, "--kafka-config")]
    [InlineData(new[] { "events", "tail", "--kafka-bootstrap-servers", "127.0.0.1:1", "--group", "" }, "--group")]
    public async Task A_bad_option_is_one_line(string[] arguments, string named)
    {
        var result = await AnalyzerProcess.RunAsync(AppContext.BaseDirectory, null, arguments);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.AssertOneErrorLine(), StringComparison.Ordinal);
    }
}
