using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Analyzer.Storage;

namespace Analyzer.Auth;

/// <summary>A person enrolled for sign-in with TOTP codes, as <c>analyzer users list</c> shows them.</summary>
public sealed record TotpUser(string Name, IReadOnlyList<string> Scopes, DateTime CreatedAt, DateTimeOffset? LockedUntil);

/// <summary>The answer to a sign-in: the person's scopes when accepted, the seconds to wait when locked.</summary>
public sealed record SignInResult(SignInStatus Status, IReadOnlyList<string> Scopes, long RetryAfterSeconds);

/// <summary>
/// The table totp_users (migration 0009): enrolment, listing, removal, and the sign-in check, which reads and
/// updates a person's row in one write transaction (the row locked on PostgreSQL, the database on SQLite), so two
/// requests with the same code cannot both be accepted. Unknown names get the same treatment from
/// an in-memory table, per replica, so that neither the answer nor the lockout tells who is enrolled.
/// </summary>
public sealed partial class TotpUsers(Database database)
{
    public const int MaxNameLength = 64;

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Enrols a person; false when the name is taken.</summary>
    public async Task<bool> AddAsync(string name, IReadOnlyList<string> scopes, byte[] sealedSecret, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using var command = session.Command("INSERT INTO totp_users (name, scopes, secret) VALUES (@name, @scopes, @secret) ON CONFLICT (name) DO NOTHING");
        command.AddParameter("@name", name);
        command.AddParameter("@scopes", string.Join(' ', scopes));
        command.AddParameter("@secret", sealedSecret);
        var added = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        await session.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<TotpUser>> ListAsync(CancellationToken cancellationToken)
    {
        await using var session = await database.ConnectAsync(cancellationToken);
        await using var command = session.Command("SELECT name, scopes, created_at, locked_until FROM totp_users ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<TotpUser>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(new TotpUser(
                reader.GetString(0),
                reader.GetString(1).Split(' ', StringSplitOptions.RemoveEmptyEntries),
                reader.GetValue(2) switch
                {
                    DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc),
                    var text => DateTime.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                },
                reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(3))));
        }
        return users;
    }

    /// <summary>Removes a person; false when there was none of that name.</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        await using var command = session.Command("DELETE FROM totp_users WHERE name = @name");
        command.AddParameter("@name", name);
        var removed = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        await session.CommitAsync(cancellationToken);
        return removed;
    }

    /// <summary>
    /// Checks a code for <paramref name="name"/>: <paramref name="matchStep"/> opens the sealed secret and returns the
    /// step the code matches (null when it does not, or the secret cannot be opened).
    /// </summary>
    public async Task<SignInResult> SignInAsync(string name, Func<byte[], long?> matchStep, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowSeconds = now.ToUnixTimeSeconds();
        await using var session = await database.BeginWriteAsync(null, cancellationToken);
        string? scopes = null;
        byte[]? sealedSecret = null;
        var state = SignInState.Fresh;
        await using (var select = session.Command(
            "SELECT scopes, secret, last_step, failures, locked_until FROM totp_users WHERE name = @name" + database.Dialect.ForUpdate))
        {
            select.AddParameter("@name", name);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                scopes = reader.GetString(0);
                sealedSecret = (byte[])reader.GetValue(1);
                state = new SignInState(
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4));
            }
        }
        if (scopes is null)
        {
            return unknownNames.SignIn(name, nowSeconds);
        }
        // A locked person's code is not even computed: the decision does not depend on it.
        var locked = state.LockedUntil is { } until && until > nowSeconds;
        var decision = SignInRules.Decide(state, locked ? null : matchStep(sealedSecret!), nowSeconds);
        if (decision.Next != state)
        {
            await using var update = session.Command(
                "UPDATE totp_users SET last_step = @last_step, failures = @failures, locked_until = @locked_until WHERE name = @name");
            update.AddParameter("@last_step", (object?)decision.Next.LastStep ?? DBNull.Value);
            update.AddParameter("@failures", decision.Next.Failures);
            update.AddParameter("@locked_until", (object?)decision.Next.LockedUntil ?? DBNull.Value);
            update.AddParameter("@name", name);
            await update.ExecuteNonQueryAsync(cancellationToken);
            await session.CommitAsync(cancellationToken);
        }
        return new SignInResult(decision.Status,
            decision.Status == SignInStatus.Accepted ? scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [], decision.RetryAfterSeconds);
    }

    /// <summary>Failures and locks of names nobody holds, kept like a person's (per replica, in memory, bounded).</summary>
    private readonly UnknownNames unknownNames = new();

    private sealed class UnknownNames
    {
        private const int MaxTracked = 10_000;

        private readonly ConcurrentDictionary<string, SignInState> States = new(StringComparer.Ordinal);

        public SignInResult SignIn(string name, long nowSeconds)
        {
            if (States.Count >= MaxTracked)
            {
                foreach (var (key, value) in States)
                {
                    if (value.LockedUntil is null || value.LockedUntil <= nowSeconds)
                    {
                        States.TryRemove(key, out _);
                    }
                }
            }
            SignInDecision decision = null!;
            States.AddOrUpdate(name,
                _ => (decision = SignInRules.Decide(SignInState.Fresh, null, nowSeconds)).Next,
                (_, state) => (decision = SignInRules.Decide(state, null, nowSeconds)).Next);
            return new SignInResult(decision.Status, [], decision.RetryAfterSeconds);
        }
    }
}
