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
