using Analyzer.Bench;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Analyzer.Tests.Reliability;

/// <summary>
/// kill -9 of the Release executable in the middle of each kind of write (an import of 10,000 citizens, PATCHes, a
/// CSV upload, a confirmation, a replace), then a restart and checks by SQL (see <see cref="KillTrials"/>). Five
/// trials per back end here; <c>analyzer-bench kill-trials --trials 50</c> runs more (docs/reliability.md).
/// </summary>
public abstract class KillTests(ITestOutputHelper output) : IDisposable
{
    private const int Trials = 5;

    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-kill-");

    protected string WorkingDirectory => workingDirectory.FullName;

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            workingDirectory.Delete(recursive: true);
        }
    }

    protected abstract Task<(string DatabaseUrl, StoreChecks Store)> DatabaseAsync();

    [BackendFact]
    public async Task Every_write_cut_by_kill_9_is_whole_or_absent_after_the_restart()
    {
        var (databaseUrl, store) = await DatabaseAsync();
        using var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var trials = new KillTrials(new KillTrialSetup(AnalyzerProcess.Executable, databaseUrl, store, WorkingDirectory, Seed: 13), log);

        var outcomes = await trials.RunAsync(Trials, timeout.Token);

        output.WriteLine(log.ToString());
        Assert.Equal(Trials, outcomes.Count);
        Assert.Equal(Enum.GetValues<KillOperation>(), outcomes.Select(o => o.Operation));
        Assert.All(outcomes, outcome => Assert.True(outcome.Survived, outcome.ToString()));
    }
}

public sealed class SqliteKillTests(ITestOutputHelper output) : KillTests(output)
{
    protected override Task<(string DatabaseUrl, StoreChecks Store)> DatabaseAsync()
    {
        var file = Path.Combine(WorkingDirectory, "analyzer.db");
        return Task.FromResult(("sqlite://" + file, StoreChecks.ForSqlite(file)));
    }
}

public sealed class PostgresKillTests(ITestOutputHelper output) : KillTests(output), IPostgresTests
{
    protected override async Task<(string DatabaseUrl, StoreChecks Store)> DatabaseAsync()
    {
        var url = await (await PostgresCluster.Instance).CreateDatabaseAsync();
        Assert.True(DatabaseUrl.TryParse(url, out var parsed, out var error), error);
        return (url, StoreChecks.ForPostgres(parsed.ConnectionString));
    }
}
