namespace Analyzer.Bench;

/// <summary><c>analyzer-bench kill-trials</c>: <see cref="KillTrials"/> on a scratch SQLite file or a throwaway PostgreSQL cluster, with the counts at the end.</summary>
public static class KillTrialsRun
{
    public static async Task<int> RunAsync(string backend, int trials, int seed, string? serverDll, TextWriter log, CancellationToken cancellationToken)
    {
        var dll = serverDll ?? await Target.ReleaseBuildAsync(log, cancellationToken);
        var temp = Directory.CreateTempSubdirectory("analyzer-kill-").FullName;
        PgCluster? postgres = null;
        try
        {
            KillTrialSetup setup;
            if (backend == "postgres")
            {
                postgres = await PgCluster.StartAsync(temp, log, cancellationToken);
                setup = new KillTrialSetup(dll, postgres.Url,
                    StoreChecks.ForPostgres($"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database={PgCluster.Database}"), temp, seed);
            }
            else
            {
                var file = Path.Combine(temp, "analyzer.db");
                setup = new KillTrialSetup(dll, "sqlite://" + file, StoreChecks.ForSqlite(file), temp, seed);
            }
            var outcomes = await new KillTrials(setup, log).RunAsync(trials, cancellationToken);
            var survived = outcomes.Count(o => o.Survived);
            var midRequest = outcomes.Count(o => !o.AnsweredBeforeKill);
            log.WriteLine($"kill-trials {backend}: {outcomes.Count} trials, {survived} survived, {outcomes.Count - survived} with violations; "
                + $"{midRequest} killed mid-request, {outcomes.Count - midRequest} after the answer");
            foreach (var group in outcomes.GroupBy(o => o.Operation))
            {
                log.WriteLine($"  {group.Key}: {group.Count()} trials, {group.Count(o => !o.AnsweredBeforeKill)} mid-request, {group.Count(o => o.Survived)} survived");
            }
            return survived == outcomes.Count ? 0 : ExitCodes.Errors;
        }
        finally
        {
            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.WriteLine($"note: could not remove {temp}: {e.Message}");
            }
        }
    }
}
