using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Analyzer.Bench;

/// <summary>What a trial kills the service in the middle of.</summary>
public enum KillOperation { Import, Patch, CsvUpload, Confirmation, Replace }

/// <summary>Where the trials run: the executable, the <c>--db</c> URL, how to read that database directly, a scratch folder.</summary>
public sealed record KillTrialSetup(string AnalyzerDll, string DatabaseUrl, StoreChecks Store, string WorkingDirectory, int Seed);

/// <summary>One trial: what was running, whether its answer came before the kill, and what the checks after the restart found.</summary>
public sealed record KillTrialOutcome(int Trial, KillOperation Operation, int KillAfterMilliseconds, bool AnsweredBeforeKill, IReadOnlyList<string> Violations)
{
    public bool Survived => Violations.Count == 0;

    public override string ToString() =>
        $"trial {Trial}: {Operation}, killed after {KillAfterMilliseconds} ms ({(AnsweredBeforeKill ? "answered before the kill" : "mid-request")}): "
        + (Survived ? "whole" : string.Join("; ", Violations));
}

/// <summary>
/// kill -9 in the middle of writes, then a restart and checks by SQL: the service starts again (its migrations run
/// again, and must be idempotent), every import has exactly the citizens one request sent, relatives and friends are
/// mutual, no dataset is half-loaded or half-replaced, a confirmation link applies its change once (followed again
/// after the restart: 201 or 410, one row either way), nothing acknowledged is lost, and SQLite passes
/// <c>PRAGMA integrity_check</c>. Shared by <c>analyzer-bench kill-trials</c> and tests/Analyzer.Tests/Reliability.
/// </summary>
public sealed class KillTrials(KillTrialSetup setup, TextWriter log)
{
    private const int SeedCitizens = 1_000;
    private const int BigImportCitizens = 10_000;
    private const int WarmupCitizens = 100;
    private const int UploadRows = 10_000;
    private const int LedgerRows = 100;
    private static readonly int[] StockSizes = [4_000, 6_000];

    private readonly Random random = new(setup.Seed);
    private readonly HashSet<long> acknowledgedImports = [];
    private readonly HashSet<string> acknowledgedDatasets = [];
    private readonly Dictionary<KillOperation, TimeSpan> typicalDuration = [];
    private long seedImport;
    private long acknowledgedPatches;
    private long sentPatches;
    private int confirmations;
    private TrialService? service;

    private TrialService Service => service ?? throw new InvalidOperationException("the service is not running");

    /// <summary>Runs <paramref name="trials"/> trials, the operations in turn; returns each outcome.</summary>
    public async Task<IReadOnlyList<KillTrialOutcome>> RunAsync(int trials, CancellationToken cancellationToken)
    {
        var outcomes = new List<KillTrialOutcome>();
        service = await TrialService.StartAsync(setup.AnalyzerDll, setup.DatabaseUrl, setup.WorkingDirectory, cancellationToken);
        try
        {
            await PrepareAsync(cancellationToken);
            for (var trial = 1; trial <= trials; trial++)
            {
                var outcome = await TrialAsync(trial, (KillOperation)((trial - 1) % 5), cancellationToken);
                log.WriteLine(outcome.ToString());
                outcomes.Add(outcome);
            }
        }
        finally
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
        return outcomes;
    }

    /// <summary>An import to PATCH, the datasets the trials change, and how long each operation takes when left alone (the kill lands within it).</summary>
    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        seedImport = await PostImportAsync(SeedCitizens, cancellationToken) ?? throw new InvalidOperationException("the seed import was refused");
        acknowledgedImports.Add(seedImport);
        await UploadAsync("ledger", Csv(LedgerRows, "l"), replace: false, cancellationToken);
        // Every operation once on small data first: the timed runs below then measure code the JIT has optimised.
        acknowledgedImports.Add((await PostImportAsync(WarmupCitizens, cancellationToken))!.Value);
        await UploadAsync("warmup", Csv(100, "w"), replace: false, cancellationToken);
        await UploadAsync("stock", Csv(100, "s"), replace: false, cancellationToken);
        await ConfirmAsync(await RequestConfirmationAsync("warmup", cancellationToken), cancellationToken);
        confirmations++;
        typicalDuration[KillOperation.Import] = await TimeAsync(async () => acknowledgedImports.Add((await PostImportAsync(BigImportCitizens, cancellationToken))!.Value));
        typicalDuration[KillOperation.CsvUpload] = await TimeAsync(() => UploadAsync("calibration", Csv(UploadRows, "c"), replace: false, cancellationToken));
        typicalDuration[KillOperation.Replace] = await TimeAsync(() => UploadAsync("stock", Csv(StockSizes[1], "s"), replace: true, cancellationToken));
        typicalDuration[KillOperation.Confirmation] = await TimeAsync(async () =>
        {
            await ConfirmAsync(await RequestConfirmationAsync("calibration", cancellationToken), cancellationToken);
            confirmations++;
        });
        typicalDuration[KillOperation.Patch] = TimeSpan.FromMilliseconds(500);
    }

    private static async Task<(bool Answered, TimeSpan Elapsed)> TimedAsync(Task<bool> work, long started)
    {
        var answered = await work;
        return (answered, Stopwatch.GetElapsedTime(started));
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started);
    }

    private async Task<KillTrialOutcome> TrialAsync(int trial, KillOperation operation, CancellationToken cancellationToken)
    {
        var confirmUrl = operation == KillOperation.Confirmation ? await RequestConfirmationAsync($"trial-{trial}", cancellationToken) : null;
        var stockBefore = await setup.Store.DatasetRowsAsync("stock", cancellationToken);
        var killAfter = (int)(typicalDuration[operation].TotalMilliseconds * (0.05 + (0.9 * random.NextDouble())));
        using var stop = new CancellationTokenSource();
        var work = operation switch
        {
            KillOperation.Import => Answered(PostImportAsync(BigImportCitizens, stop.Token), id => acknowledgedImports.Add(id)),
            KillOperation.Patch => PatchUntilStoppedAsync(stop.Token),
            KillOperation.CsvUpload => Answered(UploadAsync($"upload_{trial}", Csv(UploadRows, "u"), replace: false, stop.Token)),
            KillOperation.Confirmation => Answered(ConfirmAsync(confirmUrl!, stop.Token)),
            _ => Answered(UploadAsync("stock", Csv(StockSizes[trial / 5 % 2 == 1 ? 0 : 1], "s"), replace: true, stop.Token)),
        };
        var started = Stopwatch.GetTimestamp();
        var timed = TimedAsync(work, started);
        await Task.Delay(killAfter, cancellationToken);
        Service.Kill();
        var (answered, elapsed) = await timed;
        if (answered && operation != KillOperation.Patch)
        {
            // Answered before the kill: the next kill of this kind comes within this (shorter) time.
            typicalDuration[operation] = elapsed;
        }
        await stop.CancelAsync();
        await Service.DisposeAsync();
        service = null;
        service = await TrialService.StartAsync(setup.AnalyzerDll, setup.DatabaseUrl, setup.WorkingDirectory, cancellationToken);

        var violations = await setup.Store.ViolationsAsync(cancellationToken);
        violations.AddRange(await ImportViolationsAsync(cancellationToken));
        violations.AddRange(await DatasetViolationsAsync(stockBefore, cancellationToken));
        if (confirmUrl is not null)
        {
            violations.AddRange(await ConfirmAgainAsync(confirmUrl, $"trial-{trial}", cancellationToken));
        }
        return new KillTrialOutcome(trial, operation, killAfter, answered, violations);
    }

    /// <summary>True when the request was answered (with success) before the kill; a request cut by the kill is false.</summary>
    private static async Task<bool> Answered<T>(Task<T?> request, Action<T>? onSuccess = null) where T : struct
    {
        try
        {
            if (await request is { } value)
            {
                onSuccess?.Invoke(value);
                return true;
            }
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    private static Task<bool> Answered(Task<bool> request) => Answered(AsNullable(request));

    private static async Task<bool?> AsNullable(Task<bool> request) => await request ? true : null;

    private async Task<List<string>> ImportViolationsAsync(CancellationToken cancellationToken)
    {
        var violations = new List<string>();
        var sizes = await setup.Store.ImportSizesAsync(cancellationToken);
        violations.AddRange(sizes.Where(s => s.Value is not (SeedCitizens or BigImportCitizens or WarmupCitizens))
            .Select(s => $"import {s.Key} holds {s.Value} citizens; every request sent {WarmupCitizens}, {SeedCitizens} or {BigImportCitizens}"));
        violations.AddRange(acknowledgedImports.Where(id => !sizes.ContainsKey(id)).Select(id => $"import {id} was acknowledged (201) and is lost"));
        var version = await setup.Store.VersionAsync(seedImport, cancellationToken);
        if (version < acknowledgedPatches || version > sentPatches)
        {
            violations.Add($"import {seedImport} has version {version}: {acknowledgedPatches} PATCHes were acknowledged and {sentPatches} sent");
        }
        return violations;
    }

    private async Task<List<string>> DatasetViolationsAsync(long stockBefore, CancellationToken cancellationToken)
    {
        var violations = new List<string>();
        foreach (var name in acknowledgedDatasets)
        {
            if (!await setup.Store.DatasetExistsAsync(name, cancellationToken))
            {
                violations.Add($"dataset {name} was acknowledged and is lost");
            }
        }
        var stock = await setup.Store.DatasetRowsAsync("stock", cancellationToken);
        if (!StockSizes.Contains((int)stock))
        {
            violations.Add($"dataset stock holds {stock} rows (was {stockBefore}): a replace was cut half-way");
        }
        return violations;
    }

    /// <summary>Follows the link again: it applies the change if the kill came first (201), else it is used (410); the row is there once.</summary>
    private async Task<List<string>> ConfirmAgainAsync(string confirmUrl, string code, CancellationToken cancellationToken)
    {
        var violations = new List<string>();
        using var response = await Service.Client.PostAsync(new Uri(confirmUrl, UriKind.Relative), null, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Gone))
        {
            violations.Add($"following the confirmation link again after the restart answered {(int)response.StatusCode}, not 201 or 410");
        }
        confirmations++;
        var copies = await setup.Store.DatasetRowsWhereAsync("ledger", "code", code, cancellationToken);
        if (copies != 1)
        {
            violations.Add($"the confirmed row {code} is in the ledger {copies} times");
        }
        var rows = await setup.Store.DatasetRowsAsync("ledger", cancellationToken);
        if (rows != LedgerRows + confirmations)
        {
            violations.Add($"the ledger holds {rows} rows after {confirmations} confirmations of one row each (expected {LedgerRows + confirmations})");
        }
        return violations;
    }

    private async Task<long?> PostImportAsync(int citizens, CancellationToken cancellationToken)
    {
        using var content = new StringContent(ImportJson(citizens, random.Next()), Encoding.UTF8, "application/json");
        using var response = await Service.Client.PostAsync(new Uri("/imports", UriKind.Relative), content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            return null;
        }
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return body.RootElement.GetProperty("data").GetProperty("import_id").GetInt64();
    }

    /// <summary>Four clients PATCH relatives and friends of the seed import until the kill (or 200 PATCHes each).</summary>
    private async Task<bool> PatchUntilStoppedAsync(CancellationToken cancellationToken)
    {
        var clients = Enumerable.Range(0, 4).Select(async client =>
        {
            var patches = new Random(random.Next());
            for (var i = 0; i < 200 && !cancellationToken.IsCancellationRequested; i++)
            {
                var citizen = patches.Next(1, SeedCitizens + 1);
                var body = JsonSerializer.Serialize(new Dictionary<string, int[]>
                {
                    ["relatives"] = [.. Enumerable.Range(0, 4).Select(_ => patches.Next(1, SeedCitizens + 1)).Distinct()],
                    ["friends"] = [.. Enumerable.Range(0, 3).Select(_ => patches.Next(1, SeedCitizens + 1)).Distinct()],
                });
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                Interlocked.Increment(ref sentPatches);
                using var response = await Service.Client.PatchAsync(
                    new Uri($"/imports/{seedImport}/citizens/{citizen}", UriKind.Relative), content, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref acknowledgedPatches);
                }
            }
        }).ToList();
        try
        {
            await Task.WhenAll(clients);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    private async Task<bool> UploadAsync(string name, string csv, bool replace, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(csv, Encoding.UTF8, "text/csv"), "file", name + ".csv");
        var query = $"/datasets?name={name}" + (replace ? "&mode=replace" : "");
        using var response = await Service.Client.PostAsync(new Uri(query, UriKind.Relative), form, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            throw new InvalidOperationException($"uploading {name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        acknowledgedDatasets.Add(name);
        return true;
    }

    private async Task<string> RequestConfirmationAsync(string code, CancellationToken cancellationToken)
    {
        using var response = await Service.Client.GetAsync(new Uri($"/datasets/ledger/rows/create?code={code}&price=1.5&qty=3", UriKind.Relative), cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"asking for a confirmation link answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return new Uri(body.GetProperty("data").GetProperty("confirm_url").GetString()!).PathAndQuery;
    }

    private async Task<bool> ConfirmAsync(string confirmUrl, CancellationToken cancellationToken)
    {
        using var response = await Service.Client.PostAsync(new Uri(confirmUrl, UriKind.Relative), null, cancellationToken);
        return response.StatusCode == HttpStatusCode.Created;
    }

    /// <summary>A valid import: citizens 1..n, odd and even neighbours related, every tenth and its next-but-one friends.</summary>
    public static string ImportJson(int citizens, int seed)
    {
        var random = new Random(seed);
        string[] towns = ["Москва", "Керчь", "Тверь", "Омск"];
        var json = new StringBuilder(citizens * 200).Append("{\"citizens\":[");
        for (var id = 1; id <= citizens; id++)
        {
            var relative = id % 2 == 1 ? id + 1 : id - 1;
            var relatives = relative <= citizens ? relative.ToString(CultureInfo.InvariantCulture) : "";
            var friend = (id % 10) switch { 1 => id + 2, 3 => id - 2, _ => 0 };
            var friends = friend is > 0 && friend <= citizens ? friend.ToString(CultureInfo.InvariantCulture) : "";
            var birth = new DateOnly(1950, 1, 1).AddDays(random.Next(0, 25_000));
            json.Append(id == 1 ? "" : ",").Append(CultureInfo.InvariantCulture,
                $$"""{"citizen_id":{{id}},"town":"{{towns[id % towns.Length]}}","street":"Ленина","building":"{{id % 97}}к1","apartment":{{id % 300}},"name":"Житель {{id}}","birth_date":"{{birth.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture)}}","gender":"{{(id % 2 == 0 ? "male" : "female")}}","relatives":[{{relatives}}],"friends":[{{friends}}]}""");
        }
        return json.Append("]}").ToString();
    }

    /// <summary>A CSV of <paramref name="rows"/> rows: a text code, a decimal price and a whole quantity.</summary>
    public static string Csv(int rows, string prefix)
    {
        var csv = new StringBuilder(rows * 24).Append("code,price,qty\n");
        for (var row = 1; row <= rows; row++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{prefix}{row},{row % 1000}.25,{row % 50}\n");
        }
        return csv.ToString();
    }
}
