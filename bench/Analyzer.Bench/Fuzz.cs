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

    public static async Task<int> RunAsync(Target target, FuzzKeys keys, int cases, ulong seed, TextWriter log, CancellationToken cancellationToken)
    {
        var postgres = target.Postgres is not null;
        var backend = postgres ? "postgres" : "sqlite";
        const string Issuer = FuzzKeys.Issuer;
        const string Audience = FuzzKeys.Audience;
        var secret = Encoding.ASCII.GetBytes(keys.Secret);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = FuzzTokens.Sign("""{"alg":"HS256","typ":"JWT"}""",
            "{" + FuzzTokens.ValidClaims(new FuzzTargets(0, 0, "", "", secret, Issuer, Audience), now).Replace("\"exp\":" + (now + 3600), "\"exp\":" + (now + 20 * 3600), StringComparison.Ordinal)
                .Replace("\"jti\":\"fuzz\"", "\"jti\":\"" + Guid.NewGuid().ToString("N") + "\"", StringComparison.Ordinal) + "}",
            secret);
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = target.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var targets = await FuzzSetup.CreateTargetsAsync(client, token, secret, Issuer, Audience);

        await using var connection = Connect(target, postgres);
        await connection.OpenAsync(cancellationToken);
        Task<string> Digest() => TableDigest.ComputeAsync(connection, postgres, cancellationToken);

        var started = DateTime.UtcNow;
        var (sent, serverErrors, notProblems, changed, notSent) = (0, 0, 0, 0, 0);
        for (var chunk = 0; sent + notSent < cases; chunk++)
        {
            var count = Math.Min(Chunk, cases - sent - notSent);
            var sample = FuzzCases.Sample(targets, seed + (ulong)chunk, count, now);
            var report = await FuzzRunner.RunAsync(client, targets, sample, Digest, cancellationToken, rawPaths: true);
            (sent, serverErrors, notProblems, changed, notSent) =
                (sent + report.Cases, serverErrors + report.ServerErrors, notProblems + report.NotProblems, changed + report.ChangedByRefusal, notSent + report.NotSent);
            log.WriteLine($"chunk {chunk} (seed {seed + (ulong)chunk}): {report}");
            foreach (var failure in report.Failures)
            {
                log.WriteLine("FAILURE " + failure);
            }
            log.WriteLine($"total: {sent:N0} cases in {(DateTime.UtcNow - started).TotalMinutes:0.0} min; 5xx {serverErrors}, 4xx without problem+json {notProblems}, "
                + $"4xx that changed the database {changed}, not sent {notSent}");
        }
        log.WriteLine($"fuzz: {sent:N0} cases ({backend}, seed {seed}), 5xx: {serverErrors}, 4xx without problem+json: {notProblems}, "
            + $"4xx that changed the database: {changed}");
        return serverErrors + notProblems + changed == 0 ? 0 : ExitCodes.Errors;
    }

    private static DbConnection Connect(Target target, bool postgres) => postgres
        ? new NpgsqlConnection($"Host=127.0.0.1;Port={target.Postgres!.Port};Username=postgres;Database={PgCluster.Database}")
        : new SqliteConnection($"Data Source={Path.Combine(target.ScratchDirectory, "analyzer.db")};Mode=ReadOnly");
}

/// <summary>The HS256 secret the fuzzed service is started with (<see cref="ServiceArguments"/>), in a file of a temporary folder removed on disposal.</summary>
public sealed class FuzzKeys : IDisposable
{
    public const string Issuer = "https://fuzz.example";
    public const string Audience = "analyzer-fuzz";

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("analyzer-fuzz-");

    public FuzzKeys()
    {
        Secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var secretFile = Path.Combine(folder.FullName, "secret");
        File.WriteAllText(secretFile, Secret + "\n");
        ServiceArguments = ["--auth-secret-file", secretFile, "--auth-issuer", Issuer, "--auth-audience", Audience];
    }

    /// <summary>The secret as the file holds it (its bytes are the key).</summary>
    public string Secret { get; }

    public IReadOnlyList<string> ServiceArguments { get; }

    public void Dispose() => folder.Delete(recursive: true);
}
