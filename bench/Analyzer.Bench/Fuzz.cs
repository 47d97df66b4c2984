using System.Data.Common;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Analyzer.Tests.Hostile;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Analyzer.Bench;

/// <summary>
/// <c>fuzz</c>: the test suite's fuzz cases (tests/Analyzer.Tests/Hostile, compiled in here) against the Release
/// executable over loopback sockets, with authentication on and the database digested around every case, for as many
/// cases as one wants. Cases are drawn in chunks of <see cref="Chunk"/>, the chunk's seed being the run's plus its number,
/// so that memory stays flat over a million cases and any chunk can be replayed alone.
/// </summary>
public static class Fuzz
{
    public const int Chunk = 5_000;

    public sealed record Options(int Cases, ulong Seed, string Backend, string? ServerDll);

    public static async Task<int> RunAsync(Options options, TextWriter log, CancellationToken cancellationToken)
    {
        var keys = Directory.CreateTempSubdirectory("analyzer-fuzz-");
        try
        {
            var secretText = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            var secretFile = Path.Combine(keys.FullName, "secret");
            await File.WriteAllTextAsync(secretFile, secretText + "\n", cancellationToken);
            const string Issuer = "https://fuzz.example";
            const string Audience = "analyzer-fuzz";
            await using var target = await Target.StartAsync(options.Backend, options.ServerDll, 128L * 1024 * 1024, "Warning", log, cancellationToken,
                ["--auth-secret-file", secretFile, "--auth-issuer", Issuer, "--auth-audience", Audience]);
            var secret = Encoding.ASCII.GetBytes(secretText);
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var token = FuzzTokens.Sign("""{"alg":"HS256","typ":"JWT"}""",
                "{" + FuzzTokens.ValidClaims(new FuzzTargets(0, 0, "", "", secret, Issuer, Audience), now).Replace("\"exp\":" + (now + 3600), "\"exp\":" + (now + 20 * 3600), StringComparison.Ordinal)
                    .Replace("\"jti\":\"fuzz\"", "\"jti\":\"" + Guid.NewGuid().ToString("N") + "\"", StringComparison.Ordinal) + "}",
                secret);
            using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1, AllowAutoRedirect = false };
            using var client = new HttpClient(handler) { BaseAddress = target.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var targets = await FuzzSetup.CreateTargetsAsync(client, token, secret, Issuer, Audience);

            await using var connection = Connect(target, options.Backend);
            await connection.OpenAsync(cancellationToken);
            Task<string> Digest() => TableDigest.ComputeAsync(connection, options.Backend == "postgres", cancellationToken);

            var started = DateTime.UtcNow;
            var (cases, serverErrors, notProblems, changed, notSent) = (0, 0, 0, 0, 0);
            for (var chunk = 0; cases + notSent < options.Cases; chunk++)
            {
                var count = Math.Min(Chunk, options.Cases - cases - notSent);
                var sample = FuzzCases.Sample(targets, options.Seed + (ulong)chunk, count, now);
                var report = await FuzzRunner.RunAsync(client, targets, sample, Digest, cancellationToken, rawPaths: true);
                (cases, serverErrors, notProblems, changed, notSent) =
                    (cases + report.Cases, serverErrors + report.ServerErrors, notProblems + report.NotProblems, changed + report.ChangedByRefusal, notSent + report.NotSent);
                log.WriteLine($"chunk {chunk} (seed {options.Seed + (ulong)chunk}): {report}");
                foreach (var failure in report.Failures)
                {
                    log.WriteLine("FAILURE " + failure);
                }
                log.WriteLine($"total: {cases:N0} cases in {(DateTime.UtcNow - started).TotalMinutes:0.0} min; 5xx {serverErrors}, 4xx without problem+json {notProblems}, "
                    + $"4xx that changed the database {changed}, not sent {notSent}");
            }
            log.WriteLine($"fuzz: {cases:N0} cases ({options.Backend}, seed {options.Seed}), 5xx: {serverErrors}, 4xx without problem+json: {notProblems}, "
                + $"4xx that changed the database: {changed}");
            return serverErrors + notProblems + changed == 0 ? 0 : ExitCodes.Errors;
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    private static DbConnection Connect(Target target, string backend) => backend == "postgres"
        ? new NpgsqlConnection($"Host=127.0.0.1;Port={target.Postgres!.Port};Username=postgres;Database={PgCluster.Database}")
        : new SqliteConnection($"Data Source={Path.Combine(target.ScratchDirectory, "analyzer.db")};Mode=ReadOnly");
}
