using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Analyzer.Web;

namespace Analyzer.Auth;

/// <summary>
/// Settings of bearer-token authentication (see <see cref="Settings"/>). Authentication is on when a key is
/// configured: an HS256 secret, an RSA/EC public key, or both; otherwise every endpoint is open.
/// </summary>
public sealed class AuthOptions
{
    /// <summary>A file whose contents (without a trailing newline) are the HS256 secret, at least 32 bytes.</summary>
    [ConfigurationKeyName("AUTH_SECRET_FILE")]
    [Setting("File with the HS256 secret tokens are signed with (at least 32 bytes); turns authentication on")]
    public string? SecretFile { get; set; }

    /// <summary>A PEM file with the RSA or EC public key of tokens issued elsewhere; needs <see cref="Issuer"/> and <see cref="Audience"/>.</summary>
    [ConfigurationKeyName("AUTH_PUBLIC_KEY_FILE")]
    [Setting("PEM RSA or EC public key of tokens issued elsewhere (needs --auth-issuer and --auth-audience); turns authentication on")]
    public string? PublicKeyFile { get; set; }

    /// <summary>When set, tokens must carry this <c>iss</c>, and <c>analyzer token issue</c> writes it.</summary>
    [ConfigurationKeyName("AUTH_ISSUER"), Setting("The iss that tokens must carry (and issued tokens get)")]
    public string? Issuer { get; set; }

    /// <summary>When set, tokens must carry this <c>aud</c>, and <c>analyzer token issue</c> writes it.</summary>
    [ConfigurationKeyName("AUTH_AUDIENCE"), Setting("The aud that tokens must carry (and issued tokens get)")]
    public string? Audience { get; set; }

    /// <summary>How far a token's exp and nbf may be off the system clock.</summary>
    [ConfigurationKeyName("AUTH_CLOCK_SKEW"), Setting("Seconds of clock difference allowed when checking a token's lifetime"), Range(0, int.MaxValue)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// The longest a token may live: from its iat (or from now without one) to its exp. Longer tokens are
    /// refused, <c>token issue</c> grants no more, and revocations are kept this long (then purged).
    /// </summary>
    [ConfigurationKeyName("AUTH_MAX_TOKEN_LIFETIME_HOURS"), Setting("Hours a token may live at most, from its iat to its exp; longer ones are refused"), Range(1, 87_600)]
    public int MaxTokenLifetimeHours { get; set; } = 24;

    public TimeSpan MaxTokenLifetime => TimeSpan.FromHours(MaxTokenLifetimeHours);

    public bool Enabled => !string.IsNullOrEmpty(SecretFile) || !string.IsNullOrEmpty(PublicKeyFile);
}

/// <summary>
/// The scopes a token grants (claim <c>scope</c>, space-separated, or <c>scp</c>), each also the name of the
/// authorization policy that requires it. They are independent: a client that reads and writes asks for both.
/// </summary>
public static class Scopes
{
    /// <summary>Every GET endpoint.</summary>
    public const string Read = "analyzer:read";

    /// <summary>Every endpoint that changes data (POST /imports, PATCH).</summary>
    public const string Write = "analyzer:write";

    /// <summary>Token revocation (and later dataset drops).</summary>
    public const string Admin = "analyzer:admin";

    public static IReadOnlyList<string> All { get; } = [Read, Write, Admin];

    /// <summary>The scopes granted to <paramref name="user"/>.</summary>
    public static HashSet<string> Of(ClaimsPrincipal user) =>
        [.. user.Claims
            .Where(claim => claim.Type is "scope" or "scp")
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
