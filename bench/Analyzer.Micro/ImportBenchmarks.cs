using System.Buffers;
using System.Text.Json;
using Analyzer.Analytics;
using Analyzer.Bench;
using Analyzer.Imports;
using Analyzer.Storage;
using BenchmarkDotNet.Attributes;

namespace Analyzer.Micro;

/// <summary>
/// POST /imports without HTTP and storage: parsing and validating a 10,000-citizen body (1,000 relation pairs) the
/// way the endpoint does, against only parsing it into a <see cref="JsonDocument"/> (the floor). TextLength 256
/// makes every town, street, building and name 256 characters, the contract's largest.
/// </summary>
[MemoryDiagnoser]
public class ImportBenchmarks
{
    private byte[] body = [];
    private DateOnly today;
    private Citizen[] citizens = [];
    private readonly ArrayBufferWriter<byte> answer = new(4 << 20);

    [Params(0, 256)]
    public int TextLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        body = GeneratedImport.Create(new ImportSpec(10_000, 1_000, Seed: 1, TextLength)).ToJson();
        today = DateOnly.FromDateTime(DateTime.UtcNow);
        var errors = new ValidationErrors();
        if (CitizenJson.ReadImport(new ReadOnlySequence<byte>(body), today, errors) is not { Length: 10_000 } read)
        {
            throw new InvalidOperationException($"the generated import is not valid: {string.Join("; ", errors.ToDictionary().Select(e => $"{e.Key}: {e.Value[0]}"))}");
        }
        citizens = read;
    }

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse (floor)")]
    public int ParseOnly()
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("citizens").GetArrayLength();
    }

    [Benchmark(Description = "CitizenJson.ReadImport")]
    public Citizen[]? ReadImport() => CitizenJson.ReadImport(new ReadOnlySequence<byte>(body), today, new ValidationErrors());

    /// <summary>GET .../citizens's answer written from citizens held in memory (ImportSnapshots), without the socket.</summary>
    [Benchmark(Description = "CitizenJson.Write x 10,000")]
    public int WriteCitizens()
    {
        answer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(answer, Analyzer.Web.AnalyzerJsonContext.WriterOptions);
        writer.WriteStartArray();
        foreach (var citizen in citizens)
        {
            CitizenJson.Write(writer, citizen);
        }
        writer.WriteEndArray();
        writer.Flush();
        return answer.WrittenCount;
    }

    /// <summary>The check every JSON body passes before its reader (what POST /imports does first).</summary>
    [Benchmark(Description = "JsonBody.Check")]
    public bool CheckBody() => Analyzer.Web.JsonBody.Check(new ReadOnlySequence<byte>(body), new ValidationErrors());
}

/// <summary>The two analyses on 10,000 citizens with 1,000 relation pairs, from the rows the stores hand them.</summary>
[MemoryDiagnoser]
public class AnalyticsBenchmarks
{
    private Kin[] relatives = [];
    private TownBirthDate[] towns = [];
    private DateOnly today;

    [GlobalSetup]
    public void Setup()
    {
        var import = GeneratedImport.Create(new ImportSpec(10_000, 1_000, Seed: 1));
        var citizens = Enumerable.Range(0, import.Count).Select(import.Citizen).ToArray();
        relatives = [.. Enumerable.Range(0, import.Count).Select(i => new Kin(citizens[i].CitizenId, citizens[i].BirthDate, import.RelativesOf(i).ToArray()))];
        towns = [.. citizens.Select(c => new TownBirthDate(c.Town, c.BirthDate))];
        today = DateOnly.FromDateTime(DateTime.UtcNow);
    }

    [Benchmark(Description = "Birthdays.PresentsByMonth")]
    public Dictionary<string, BuyerPresents[]> PresentsByMonth() => Birthdays.PresentsByMonth(relatives);

    [Benchmark(Description = "AgePercentiles.ByTown")]
    public TownAgePercentiles[] AgePercentilesByTown() => AgePercentiles.ByTown(towns, today);
}
