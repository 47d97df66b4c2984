using System.Globalization;
using System.Text;
using Analyzer.Datasets.Csv;
using static Analyzer.Tests.Datasets.CsvTestStreams;

namespace Analyzer.Tests.Datasets;

/// <summary>Pass 1 with asynchronous reads (<see cref="CsvTable.ScanAsync"/>), and both passes stopped by a cancellation token.</summary>
public sealed class CsvCancellationTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>The most one read of the tokenizer asks for: its buffer.</summary>
    private const int BufferBytes = 64 * 1024;

    private static readonly CsvOptions AirportOptions = new()
    {
        Header = false,
        NullMarker = "\\N",
        Columns = ["airport_id", "name", "city", "country", "iata", "icao", "latitude", "longitude", "altitude", "timezone", "dst", "tz", "type", "source"],
    };

    /// <summary>About 4 MiB of CSV: 100,000 rows of four typed columns.</summary>
    private static readonly byte[] Large = MakeLarge();

    private static byte[] MakeLarge()
    {
        var csv = new StringBuilder("id,name,score,day\n");
        for (var i = 0; i < 100_000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},\"name {i}, the {i % 7}th\",{i * 0.25},2024-01-{i % 28 + 1:00}\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    [Theory]
    [InlineData(61)]
    [InlineData(4093)]
    [InlineData(int.MaxValue)]
    public async Task The_asynchronous_scan_of_airports_equals_the_synchronous_one(int chunk)
    {
        var bytes = await File.ReadAllBytesAsync(TestDataPath("airports.dat"));
        var expected = CsvTable.Scan(new MemoryStream(bytes), AirportOptions);

        var stream = TrickleAsync(bytes, chunk);
        var table = await CsvTable.ScanAsync(stream, AirportOptions); // the delimiter detected

        Assert.Equal(expected.Dialect, table.Dialect);
        Assert.Equal(expected.Columns, table.Columns);
        Assert.Equal(7698, table.RowCount);
        Assert.Equal(bytes.Length + CsvDialect.SampleBytes, stream.BytesRead); // the delimiter's sample, then the file once
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_scan_before_it_reads()
    {
        var stream = TrickleAsync(Large);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CsvTable.ScanAsync(stream, new CsvOptions(), new CancellationToken(canceled: true)));
        Assert.Equal(0, stream.BytesRead);
    }

    [Theory]
    [InlineData(',')]
    [InlineData(null)] // with the delimiter detected first
    public async Task Cancelling_mid_way_stops_the_scan_at_its_next_read(char? delimiter)
    {
        using var cancellation = new CancellationTokenSource();
        var stream = TrickleAsync(Large);
        stream.AfterRead = read =>
        {
            if (read >= MiB)
            {
                cancellation.Cancel();
            }
        };

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            CsvTable.ScanAsync(stream, new CsvOptions { Delimiter = delimiter }, cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        // The read that passed 1 MiB was the last: the rest of the 4 MiB was never read.
        Assert.InRange(stream.BytesRead, MiB, MiB + BufferBytes);
        Assert.True(stream.BytesRead < Large.Length);
    }

    [Fact]
    public void Cancelling_mid_way_stops_the_rows_at_the_next_record()
    {
        var table = CsvTable.Scan(new MemoryStream(Large), new CsvOptions());
        Assert.Equal(100_000, table.RowCount);
        using var cancellation = new CancellationTokenSource();
        var loaded = 0;

        var error = Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var row in table.ReadRows(new MemoryStream(Large), cancellation.Token))
            {
                Assert.Equal((long)loaded, row[0]);
                if (++loaded == 10)
                {
                    cancellation.Cancel();
                }
            }
        });

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(10, loaded);
    }

    [Fact]
    public void A_cancelled_token_stops_the_rows_before_they_read()
    {
        var table = CsvTable.Scan(new MemoryStream(Large), new CsvOptions());
        var file = new MemoryStream(Large);

        Assert.ThrowsAny<OperationCanceledException>(() => table.ReadRowsAs(file, [.. table.Columns.Select(c => c.Type)], new CancellationToken(canceled: true)).First());

        Assert.Equal(0, file.Position);
    }
}
