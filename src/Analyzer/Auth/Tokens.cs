using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Auth;

/// <summary>A token as <c>analyzer token issue</c> prints it, with the id and expiry an operator may need later.</summary>
public sealed record IssuedToken(string Token, string Jti, DateTime ExpiresAt);

/// <summary>Issues HS256 tokens: <c>scope</c>, a random <c>jti</c>, <c>iat</c>/<c>nbf</c>/<c>exp</c>, and <c>sub</c>, <c>iss</c>, <c>aud</c> when given.</summary>
public static partial class Tokens
{
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static IssuedToken Issue(byte[] secret, IEnumerable<string> scopes, TimeSpan lifetime, DateTimeOffset now,
        string? subject = null, string? issuer = null, string? audience = null)
    {
        var jti = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var issuedAt = now.UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["scope"] = string.Join(' ', scopes),
            ["jti"] = jti,
        };
        if (!string.IsNullOrEmpty(subject))
        {
            claims["sub"] = subject;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + lifetime,
            Issuer = string.IsNullOrEmpty(issuer) ? null : issuer,
            Audience = string.IsNullOrEmpty(audience) ? null : audience,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256),
        };
        return new IssuedToken(TokenValidation.Handler.CreateToken(descriptor), jti, issuedAt + lifetime);
    }

    /// <summary>A lifetime such as <c>30s</c>, <c>15m</c>, <c>1h</c>, <c>7d</c> or <c>1h30m</c>: positive, at most <see cref="MaxLifetime"/>.</summary>
    public static bool TryParseLifetime(string text, out TimeSpan lifetime)
    {
        lifetime = TimeSpan.Zero;
        var match = LifetimePattern().Match(text.Trim());
        if (!match.Success || match.Length == 0)
        {
            return false;
        }
        long Part(string group) => match.Groups[group].Success ? long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part("d") * 86_400 + Part("h") * 3_600 + Part("m") * 60 + Part("s");
        if (seconds <= 0 || seconds > MaxLifetime.TotalSeconds)
        {
            return false;
        }
        lifetime = TimeSpan.FromSeconds(seconds);
        return true;
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,5})d)?(?:(?<h>\d{1,6})h)?(?:(?<m>\d{1,8})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LifetimePattern();

    /// <summary>The scopes of <c>--scope</c> values (each may list several, space- or comma-separated): known ones only, at least one.</summary>
    public static bool TryParseScopes(IEnumerable<string> values, [NotNullWhen(true)] out IReadOnlyList<string>? scopes, [NotNullWhen(false)] out string? error)
    {
        var list = new List<string>();
        foreach (var scope in values.SelectMany(v => v.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Scopes.All.Contains(scope))
            {
                scopes = null;
                error = $"unknown scope '{scope}'; use {string.Join(", ", Scopes.All)}";
                return false;
            }
            if (!list.Contains(scope))
            {
                list.Add(scope);
            }
        }
        if (list.Count == 0)
        {
            scopes = null;
            error = $"give at least one --scope: {string.Join(", ", Scopes.All)}";
            return false;
        }
        scopes = list;
        error = null;
        return true;
    }
}
