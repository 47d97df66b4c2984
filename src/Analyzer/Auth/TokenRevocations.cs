using System.Collections.Concurrent;
using Analyzer.Storage;
using Microsoft.Extensions.Options;

namespace Analyzer.Auth;

/// <summary>A revoked token id and when it was revoked.</summary>
public sealed record TokenRevocation(string Jti, DateTime RevokedAt);

/// <summary>The SQL of the <c>token_revocations</c> table (migration 0003), the same on both back ends.</summary>
public sealed class TokenRevocations(Database database)
{
    /// <summary>Records <paramref name="jti"/> as revoked; <c>Created</c> is false when it already was (the first record stays).</summary>
    public async Task<(TokenRevocation Revocation, bool Created)> RevokeAsync(string jti, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        int inserted;
        await using (var insert = session.Command(
            "INSERT INTO token_revocations (jti, revoked_at) VALUES (@jti, @revoked_at) ON CONFLICT (jti) DO NOTHING"))
        {
            insert.AddParameter("@jti", jti);
            // Whole seconds: both back ends then store and return the same instant.
            insert.AddParameter("@revoked_at", new DateTime(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        var revocation = await FindAsync(session, jti, cancellationToken)
            ?? throw new InvalidOperationException($"the revocation of {jti} was not stored");
        return (revocation, inserted == 1);
    }

    public async Task<TokenRevocation?> FindAsync(string jti, CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        return await FindAsync(session, jti, cancellationToken);
    }

    private static async Task<TokenRevocation?> FindAsync(DbSession session, string jti, CancellationToken cancellationToken)
    {
        await using var command = session.Command("SELECT revoked_at FROM token_revocations WHERE jti = @jti");
        command.AddParameter("@jti", jti);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TokenRevocation(jti, DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc))
            : null;
    }
}

/// <summary>
/// The revocation check of every authenticated request: one lookup per token id, remembered for at most
/// <see cref="Lifetime"/> on the service's clock, so a token revoked by another replica or by
/// <c>analyzer token revoke</c> is refused within that time; one revoked here is refused at once.
/// </summary>
public sealed class RevocationCache(TokenRevocations revocations, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Above this many remembered ids the stale ones are dropped (all of them, if none is stale).</summary>
    private const int Limit = 10_000;

    private readonly ConcurrentDictionary<string, (bool Revoked, DateTimeOffset CheckedAt)> checkedIds = new(StringComparer.Ordinal);

    public async ValueTask<bool> IsRevokedAsync(string jti, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (checkedIds.TryGetValue(jti, out var known) && IsFresh(known.CheckedAt, now))
        {
            return known.Revoked;
        }
        var revoked = await revocations.FindAsync(jti, cancellationToken) is not null;
        Remember(jti, revoked, now);
        return revoked;
    }

    public async Task<(TokenRevocation Revocation, bool Created)> RevokeAsync(string jti, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = await revocations.RevokeAsync(jti, now, cancellationToken);
        Remember(jti, revoked: true, now);
        return result;
    }

    private static bool IsFresh(DateTimeOffset checkedAt, DateTimeOffset now) => checkedAt <= now && now - checkedAt < Lifetime;

    private void Remember(string jti, bool revoked, DateTimeOffset now)
    {
        if (checkedIds.Count >= Limit)
        {
            foreach (var (id, entry) in checkedIds)
            {
                if (!IsFresh(entry.CheckedAt, now))
                {
                    checkedIds.TryRemove(id, out _);
                }
            }
            if (checkedIds.Count >= Limit)
            {
                checkedIds.Clear();
            }
        }
        checkedIds[jti] = (revoked, now);
    }
}

/// <summary>
/// Purges a revocation once every token it can name has expired: after the longest lifetime a token is
/// accepted with (<see cref="AuthOptions.MaxTokenLifetime"/>) and the clock skew.
/// </summary>
public sealed class RevocationPurge(Database database, IOptions<AuthOptions> options) : IPurge
{
    public string What => "revocations of tokens that have expired";

    public async Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - options.Value.MaxTokenLifetime - TimeSpan.FromSeconds(options.Value.ClockSkewSeconds);
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using var command = session.Command("DELETE FROM token_revocations WHERE revoked_at < @cutoff");
        command.AddParameter("@cutoff", cutoff.UtcDateTime);
        var purged = await command.ExecuteNonQueryAsync(cancellationToken);
        await session.CommitAsync(cancellationToken);
        return purged;
    }
}
