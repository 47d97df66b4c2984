using Analyzer.Datasets.Csv;
using BenchmarkDotNet.Attributes;

namespace Analyzer.Micro;

/// <summary>
/// Pass 1 of a CSV upload (tokenizing, widths, type inference, row count) on OpenFlights' airports.dat, 7,698 rows
/// of 14 columns without a header, <c>\N</c> for NULL, read from memory, synchronously and asynchronously.
/// </summary>
[MemoryDiagnoser]
public class CsvBenchmarks
{
    private static readonly string[] AirportColumns =
        ["airport_id", "name", "city", "country", "iata", "icao", "latitude", "longitude", "altitude", "timezone", "dst", "tz", "type", "source"];

    private readonly CsvOptions options = new() { Header = false, NullMarker = "\\N", Columns = AirportColumns };
    private byte[] airports = [];

    [GlobalSetup]
    public void Setup() => airports = File.ReadAllBytes(FindAirports());

    [Benchmark(Description = "CsvTable.Scan airports.dat")]
    public CsvTable Scan()
    {
        using var stream = new MemoryStream(airports, writable: false);
        return CsvTable.Scan(stream, options);
    }

    /// <summary>What the upload handler runs: the same pass with awaited reads (here completing at once) and a token.</summary>
    [Benchmark(Description = "CsvTable.ScanAsync airports.dat")]
    public async Task<CsvTable> ScanAsync()
    {
        using var stream = new MemoryStream(airports, writable: false);
        return await CsvTable.ScanAsync(stream, options, CancellationToken.None);
    }

    /// <summary>The repository's copy (tests/Analyzer.Tests/Datasets/data), or ANALYZER_MICRO_AIRPORTS.</summary>
    private static string FindAirports()
    {
        if (Environment.GetEnvironmentVariable("ANALYZER_MICRO_AIRPORTS") is { Length: > 0 } path)
        {
            return path;
        }
        // BenchmarkDotNet runs each benchmark from a generated project below bin/: look upwards for the repository.
        foreach (var start in (string[])[AppContext.BaseDirectory, Environment.CurrentDirectory])
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "Analyzer.Tests", "Datasets", "data", "airports.dat");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException("airports.dat not found above the benchmark; set ANALYZER_MICRO_AIRPORTS");
    }
}
