using System.Globalization;
using System.Security.Claims;

namespace Analyzer.Auth;

/// <summary>
/// Settings of bearer-token authentication (configuration section <c>Analyzer:Auth</c>). Authentication is
/// on when a key is configured: an HS256 secret, an RSA/EC public key, or both; otherwise every endpoint is open.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Analyzer:Auth";

    /// <summary>A file whose contents (without a trailing newline) are the HS256 secret, at least 32 bytes.</summary>
    public string? SecretFile { get; set; }

    /// <summary>A PEM file with the RSA or EC public key of tokens issued elsewhere; needs <see cref="Issuer"/> and <see cref="Audience"/>.</summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>When set, tokens must carry this <c>iss</c>, and <c>analyzer token issue</c> writes it.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, tokens must carry this <c>aud</c>, and <c>analyzer token issue</c> writes it.</summary>
    public string? Audience { get; set; }

    /// <summary>The clock skew tokens are checked with, unless configured.</summary>
    public const int DefaultClockSkewSeconds = 30;

    /// <summary>
    /// How many seconds a token's <c>exp</c> and <c>nbf</c> may be off from this service's clock (0 or more): a token
    /// is accepted until <c>exp</c> plus this, and from <c>nbf</c> minus this.
    /// </summary>
    public int ClockSkewSeconds { get; set; } = DefaultClockSkewSeconds;

    public bool Enabled => !string.IsNullOrEmpty(SecretFile) || !string.IsNullOrEmpty(PublicKeyFile);

    /// <summary>The configuration keys of these settings, for the CLI to hand to the web host.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToSettings()
    {
        (string Name, string? Value)[] values =
        [
            (nameof(SecretFile), SecretFile), (nameof(PublicKeyFile), PublicKeyFile),
            (nameof(Issuer), Issuer), (nameof(Audience), Audience),
            (nameof(ClockSkewSeconds), ClockSkewSeconds.ToString(CultureInfo.InvariantCulture)),
        ];
        return values.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => KeyValuePair.Create($"{Section}:{v.Name}", v.Value));
    }
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
