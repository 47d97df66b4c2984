using System.Security.Cryptography;
using System.Text;

namespace Analyzer.Tests.Hostile;

/// <summary>
/// JWTs built by hand: a token library refuses to write most of what a fuzzer needs (alg none, a string exp, a header
/// that lies about the algorithm), and the bench has no reference to one. HS256 is one HMAC over two base64url parts.
/// </summary>
public static class FuzzTokens
{
    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    /// <summary>header.payload.signature, the signature an HMAC-SHA256 with <paramref name="secret"/> (or empty without one).</summary>
    public static string Sign(string headerJson, string payloadJson, byte[]? secret)
    {
        var signed = Base64Url(headerJson) + "." + Base64Url(payloadJson);
        var signature = secret is null ? "" : Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signed)));
        return signed + "." + signature;
    }

    /// <summary>The claims of a token the service accepts, as JSON members, for payloads that change one of them.</summary>
    public static string ValidClaims(FuzzTargets targets, long now) =>
        $"\"iss\":\"{targets.Issuer}\",\"aud\":\"{targets.Audience}\",\"iat\":{now},\"nbf\":{now},\"exp\":{now + 3600},"
        + "\"scope\":\"analyzer:read analyzer:write analyzer:admin\",\"jti\":\"fuzz\",\"sub\":\"fuzz\"";
}
