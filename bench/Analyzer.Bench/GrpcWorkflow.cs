using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Analyzer.Grpc.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcClient = Analyzer.Grpc.V1.Analyzer.AnalyzerClient;

namespace Analyzer.Bench;

public sealed record GrpcWorkflowOptions(int Citizens, int Relations, int Rounds, long Seed, int Warmup, int BatchSize, TimeSpan TimeLimit);

/// <summary>
/// The workflow of <see cref="Workflow"/> once over REST and once over gRPC per round, on the same service, the order
/// alternating from round to round so that both meet the same machine: import, read every citizen, patch citizen 1's
/// relatives, birthdays, percentiles (both computed afresh after the patch). Each step's median and its bytes on the
/// wire: request and answer bodies (REST: the JSON, uncompressed; gRPC: each message and its 5-byte frame prefix);
/// headers are left out on both sides (HTTP/1.1 text against HPACK-compressed HTTP/2 frames).
/// </summary>
public static class GrpcWorkflow
{
    private static readonly string[] Steps = ["import", "list citizens", "patch citizen 1", "birthdays", "percentiles"];

    /// <summary>Milliseconds and bytes of each step of one protocol.</summary>
    private sealed class StepStats
    {
        public List<double>[] Milliseconds { get; } = [.. Steps.Select(_ => new List<double>())];

        public long[] Bytes { get; } = new long[Steps.Length];

        public void Add(int step, TimeSpan elapsed, long bytes)
        {
            Milliseconds[step].Add(elapsed.TotalMilliseconds);
            Bytes[step] += bytes;
        }

        public double Median(int step) => Milliseconds[step].Count == 0 ? double.NaN : LatencySummary.MedianOf(Milliseconds[step]);

        public double BytesPerCall(int step) => Milliseconds[step].Count == 0 ? double.NaN : (double)Bytes[step] / Milliseconds[step].Count;
    }

    private sealed record Round(int Number, GeneratedImport Import, byte[] Json, ImportCitizensRequest[] Requests);

    public static async Task<int> RunAsync(Target target, GrpcWorkflowOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        if (target.GrpcUrl is not { } grpcUrl)
        {
            throw new BenchException("grpc-workflow needs the service's gRPC API: --start, or --base-url with --grpc-url");
        }
        output.WriteLine($"grpc-workflow: {options.Rounds} rounds per protocol of {options.Citizens} citizens / {options.Relations} pairs, "
            + $"ImportCitizens in messages of {options.BatchSize}, seed {options.Seed}, warm-up {options.Warmup}");
        output.WriteLine($"target: {target.Description}, gRPC {grpcUrl}");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} (1/5/15 min) before the run");

        Round Make(int number, long seed)
        {
            var import = GeneratedImport.Create(new ImportSpec(options.Citizens, options.Relations, seed));
            return new Round(number, import, import.ToJson(), Batches(import, options.BatchSize));
        }

        using var rest = new BenchClient(target.BaseUrl, TimeSpan.FromMinutes(2), 1);
        using var channel = GrpcChannel.ForAddress(grpcUrl, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        var grpc = new GrpcClient(channel);

        for (var w = 0; w < options.Warmup; w++)
        {
            var round = Make(-1 - w, options.Seed - 1 - w);
            var restId = await RestRoundAsync(rest, round, new StepStats(), cancellationToken);
            var grpcId = await GrpcRoundAsync(grpc, round, new StepStats(), cancellationToken);
            if (w == 0 && await SameCitizensAsync(rest, grpc, restId, grpcId, cancellationToken) is { } difference)
            {
                output.WriteLine($"warm-up: the protocols disagree: {difference}");
                return ExitCodes.Errors;
            }
        }

        var rounds = Enumerable.Range(0, options.Rounds).Select(r => Make(r, options.Seed + r)).ToArray();
        var restStats = new StepStats();
        var grpcStats = new StepStats();
        var wall = Stopwatch.StartNew();
        var done = 0;
        foreach (var round in rounds)
        {
            if (wall.Elapsed > options.TimeLimit)
            {
                break;
            }
            if (round.Number % 2 == 0)
            {
                await RestRoundAsync(rest, round, restStats, cancellationToken);
                await GrpcRoundAsync(grpc, round, grpcStats, cancellationToken);
            }
            else
            {
                await GrpcRoundAsync(grpc, round, grpcStats, cancellationToken);
                await RestRoundAsync(rest, round, restStats, cancellationToken);
            }
            done++;
        }

        var table = new Table("step", "REST median ms", "gRPC median ms", "gRPC ÷ REST", "REST bytes/call", "gRPC bytes/call", "gRPC ÷ REST bytes");
        for (var step = 0; step < Steps.Length; step++)
        {
            table.Add(Steps[step], Format.Ms(restStats.Median(step)), Format.Ms(grpcStats.Median(step)),
                Format.Ratio(grpcStats.Median(step) / restStats.Median(step)),
                Format.Bytes(restStats.BytesPerCall(step)), Format.Bytes(grpcStats.BytesPerCall(step)),
                Format.Ratio(grpcStats.BytesPerCall(step) / restStats.BytesPerCall(step)));
        }
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        output.WriteLine($"rounds: {done} of {options.Rounds} per protocol in {wall.Elapsed.TotalSeconds:0.0} s");
        if (target.ServerPid is not null)
        {
            output.WriteLine(target.Report().ToString() + " — for the whole life of the server");
        }
        output.WriteLine($"machine: load average {ProcStats.LoadAverage()} after the run");
        return 0;
    }

    private static ImportCitizensRequest[] Batches(GeneratedImport import, int batchSize)
    {
        var batches = new List<ImportCitizensRequest>();
        for (var start = 0; start < import.Count; start += batchSize)
        {
            var batch = new ImportCitizensRequest();
            for (var i = start; i < Math.Min(import.Count, start + batchSize); i++)
            {
                var row = import.Citizen(i);
                var citizen = new ImportCitizen
                {
                    CitizenId = row.CitizenId,
                    Town = row.Town,
                    Street = row.Street,
                    Building = row.Building,
                    Apartment = row.Apartment,
                    Name = row.Name,
                    BirthDate = row.BirthDate.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture),
                    Gender = row.Male ? Gender.Male : Gender.Female,
                };
                citizen.Relatives.AddRange(import.RelativesOf(i).ToArray());
                batch.Citizens.Add(citizen);
            }
            batches.Add(batch);
        }
        return [.. batches];
    }

    /// <summary>The 7 relatives of the REST workflow's PATCH body, as the message's list.</summary>
    private static int[] PatchRelatives(GeneratedImport import, int round)
    {
        using var document = JsonDocument.Parse(import.PatchRelativesBody(round));
        return [.. document.RootElement.GetProperty("relatives").EnumerateArray().Select(r => r.GetInt32())];
    }

    private static async Task<long> RestRoundAsync(BenchClient client, Round round, StepStats stats, CancellationToken cancellationToken)
    {
        var post = await client.SendAsync(HttpMethod.Post, "/imports", BenchClient.Json(round.Json), keepBody: true, cancellationToken);
        Check(post, "POST /imports");
        stats.Add(0, post.Elapsed, round.Json.Length + post.Bytes);
        using var document = JsonDocument.Parse(post.Body!);
        var importId = document.RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
        var prefix = $"/imports/{importId}";

        var list = await client.SendAsync(HttpMethod.Get, prefix + "/citizens", null, keepBody: false, cancellationToken);
        Check(list, "GET citizens");
        stats.Add(1, list.Elapsed, list.Bytes);

        var patchBody = round.Import.PatchRelativesBody(round.Number);
        var patch = await client.SendAsync(HttpMethod.Patch, prefix + "/citizens/1", BenchClient.Json(patchBody), keepBody: false, cancellationToken);
        Check(patch, "PATCH citizen 1");
        stats.Add(2, patch.Elapsed, patchBody.Length + patch.Bytes);

        var birthdays = await client.SendAsync(HttpMethod.Get, prefix + "/citizens/birthdays", null, keepBody: false, cancellationToken);
        Check(birthdays, "GET birthdays");
        stats.Add(3, birthdays.Elapsed, birthdays.Bytes);

        var percentiles = await client.SendAsync(HttpMethod.Get, prefix + "/towns/stat/percentile/age", null, keepBody: false, cancellationToken);
        Check(percentiles, "GET percentiles");
        stats.Add(4, percentiles.Elapsed, percentiles.Bytes);
        return importId;
    }

    private static void Check(Measured measured, string what)
    {
        if (!measured.Success)
        {
            throw new BenchException($"{what}: {measured.Describe()}");
        }
    }

    /// <summary>A message's bytes on the wire, uncompressed: the 5-byte gRPC frame prefix (flag, length) and the message.</summary>
    private static long Framed(IMessage message) => 5 + message.CalculateSize();

    private static async Task<long> GrpcRoundAsync(GrpcClient client, Round round, StepStats stats, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long bytes = 0;
        ImportCitizensResponse imported;
        using (var call = client.ImportCitizens(cancellationToken: cancellationToken))
        {
            foreach (var batch in round.Requests)
            {
                await call.RequestStream.WriteAsync(batch, cancellationToken);
                bytes += Framed(batch);
            }
            await call.RequestStream.CompleteAsync();
            imported = await call.ResponseAsync;
        }
        stats.Add(0, Stopwatch.GetElapsedTime(started), bytes + Framed(imported));
        var importId = imported.ImportId;

        started = Stopwatch.GetTimestamp();
        bytes = Framed(new ListCitizensRequest { ImportId = importId });
        var listed = 0;
        using (var call = client.ListCitizens(new ListCitizensRequest { ImportId = importId }, cancellationToken: cancellationToken))
        {
            await foreach (var batch in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                bytes += Framed(batch);
                listed += batch.Citizens.Count;
            }
        }
        stats.Add(1, Stopwatch.GetElapsedTime(started), bytes);
        if (listed != round.Import.Count)
        {
            throw new BenchException($"ListCitizens: {listed} citizens, not {round.Import.Count}");
        }

        var patch = new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Relatives = new CitizenIds { Ids = { PatchRelatives(round.Import, round.Number) } } };
        started = Stopwatch.GetTimestamp();
        var patched = await client.PatchCitizenAsync(patch, cancellationToken: cancellationToken);
        stats.Add(2, Stopwatch.GetElapsedTime(started), Framed(patch) + Framed(patched));
        if (patched.Citizen.Relatives.Count != 7)
        {
            throw new BenchException("PatchCitizen: citizen 1 does not have 7 relatives");
        }

        var birthdaysRequest = new GetBirthdaysRequest { ImportId = importId };
        started = Stopwatch.GetTimestamp();
        var birthdays = await client.GetBirthdaysAsync(birthdaysRequest, cancellationToken: cancellationToken);
        stats.Add(3, Stopwatch.GetElapsedTime(started), Framed(birthdaysRequest) + Framed(birthdays));

        var percentilesRequest = new GetAgePercentilesRequest { ImportId = importId };
        started = Stopwatch.GetTimestamp();
        var percentiles = await client.GetAgePercentilesAsync(percentilesRequest, cancellationToken: cancellationToken);
        stats.Add(4, Stopwatch.GetElapsedTime(started), Framed(percentilesRequest) + Framed(percentiles));
        return importId;
    }

    /// <summary>Both imports of the first warm-up round read back alike over REST (names, relatives); null when they do.</summary>
    private static async Task<string?> SameCitizensAsync(BenchClient rest, GrpcClient grpc, long restId, long grpcId, CancellationToken cancellationToken)
    {
        var answer = await rest.SendAsync(HttpMethod.Get, $"/imports/{restId}/citizens", null, keepBody: true, cancellationToken);
        if (answer.Status != HttpStatusCode.OK)
        {
            return answer.Describe();
        }
        using var document = JsonDocument.Parse(answer.Body!);
        var viaRest = document.RootElement.GetProperty("data").EnumerateArray()
            .ToDictionary(c => c.GetProperty("citizen_id").GetInt32(), c => (c.GetProperty("name").GetString(), c.GetProperty("relatives").GetArrayLength()));
        using var call = grpc.ListCitizens(new ListCitizensRequest { ImportId = grpcId }, cancellationToken: cancellationToken);
        var count = 0;
        await foreach (var batch in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            foreach (var citizen in batch.Citizens)
            {
                count++;
                if (!viaRest.TryGetValue(citizen.CitizenId, out var expected) || expected != (citizen.Name, citizen.Relatives.Count))
                {
                    return $"citizen {citizen.CitizenId} differs";
                }
            }
        }
        return count == viaRest.Count ? null : $"{count} citizens over gRPC, {viaRest.Count} over REST";
    }
}
