using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Auth;

/// <summary>
/// Whether tokens are required, and how the JwtBearer handler checks one: keys, algorithms, issuer, audience, and
/// lifetime (on the system clock, with <see cref="AuthOptions.ClockSkewSeconds"/> of skew).
/// </summary>
public sealed class TokenValidation
{
    public TokenValidation(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        Enabled = auth.Enabled;
        maxLifetime = auth.MaxTokenLifetime;
        if (!Enabled)
        {
            Parameters = new TokenValidationParameters();
            return;
        }
        if (!AuthKeys.TryLoad(auth, out var keys, out var error))
        {
            throw new OptionsValidationException(nameof(AuthOptions), typeof(AuthOptions), [error]);
        }
        Parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = keys.Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ValidateIssuer = !string.IsNullOrEmpty(auth.Issuer),
            ValidIssuer = auth.Issuer,
            ValidateAudience = !string.IsNullOrEmpty(auth.Audience),
            ValidAudience = auth.Audience,
            ClockSkew = TimeSpan.FromSeconds(auth.ClockSkewSeconds),
        };
    }

    public bool Enabled { get; }

    private readonly TimeSpan maxLifetime;

    /// <summary>
    /// Why a token that passed the library's checks is refused all the same, or null: it names critical header
    /// extensions (<c>crit</c>, RFC 7515 §4.1.11: this service understands none), its <c>exp</c>, <c>nbf</c> or
    /// <c>iat</c> is not a number (RFC 7519 §2 NumericDate), or it lives longer than the configured maximum.
    /// </summary>
    public string? Refusal(JsonWebToken token, DateTime now)
    {
        if (token.TryGetHeaderValue<object>("crit", out _))
        {
            return "the token names critical header extensions (crit) that this service does not understand";
        }
        if (NonNumericDate(token.EncodedPayload) is { } claim)
        {
            return $"the token's {claim} is not a number of seconds (NumericDate)";
        }
        var start = token.IssuedAt == DateTime.MinValue ? now : token.IssuedAt;
        return token.ValidTo - start > maxLifetime
            ? $"the token lives longer than the {maxLifetime.TotalHours:0} hours this service accepts"
            : null;
    }

    /// <summary>The first of exp, nbf and iat that the payload holds as something other than a JSON number, or null.</summary>
    private static string? NonNumericDate(string encodedPayload)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(encodedPayload));
        foreach (var claim in (string[])["exp", "nbf", "iat"])
        {
            if (payload.RootElement.TryGetProperty(claim, out var value) && value.ValueKind != JsonValueKind.Number)
            {
                return claim;
            }
        }
        return null;
    }

    public TokenValidationParameters Parameters { get; }

    /// <summary>Creates the tokens of <c>analyzer token issue</c>.</summary>
    public static JsonWebTokenHandler Handler { get; } = new();
}

/// <summary>Checks at start that the configured key files can be read (the clock skew's range is checked with the other settings).</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        return !options.Enabled || AuthKeys.TryLoad(options, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error);
    }
}
