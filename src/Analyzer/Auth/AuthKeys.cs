using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Auth;

/// <summary>The keys tokens are checked with, read from the files of <see cref="AuthOptions"/>, and the algorithms each accepts.</summary>
public sealed class AuthKeys
{
    public const int MinimumSecretBytes = 32;

    private AuthKeys(IReadOnlyList<SecurityKey> keys, IReadOnlyList<string> algorithms) => (Keys, Algorithms) = (keys, algorithms);

    public IReadOnlyList<SecurityKey> Keys { get; }

    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>Reads the configured key files; <paramref name="error"/> is one line a person can act on.</summary>
    public static bool TryLoad(AuthOptions options, [NotNullWhen(true)] out AuthKeys? keys, [NotNullWhen(false)] out string? error)
    {
        keys = null;
        var found = new List<SecurityKey>();
        var algorithms = new List<string>();
        if (!string.IsNullOrEmpty(options.SecretFile))
        {
            if (!TryReadSecret(options.SecretFile, out var secret, out error))
            {
                return false;
            }
            found.Add(new SymmetricSecurityKey(secret));
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }
        if (!string.IsNullOrEmpty(options.PublicKeyFile))
        {
            if (string.IsNullOrEmpty(options.Issuer) || string.IsNullOrEmpty(options.Audience))
            {
                error = "--auth-public-key-file needs --auth-issuer and --auth-audience: tokens issued elsewhere are only accepted for this issuer and audience";
                return false;
            }
            if (!TryReadPublicKey(options.PublicKeyFile, out var key, out var keyAlgorithms, out error))
            {
                return false;
            }
            found.Add(key);
            algorithms.AddRange(keyAlgorithms);
        }
        keys = new AuthKeys(found, algorithms);
        error = null;
        return true;
    }

    /// <summary>The HS256 secret: the file's bytes without a trailing newline, at least <see cref="MinimumSecretBytes"/> of them.</summary>
    public static bool TryReadSecret(string path, [NotNullWhen(true)] out byte[]? secret, [NotNullWhen(false)] out string? error)
    {
        secret = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"cannot read the secret file {path}: {e.Message}";
            return false;
        }
        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
        {
            length--;
        }
        if (length < MinimumSecretBytes)
        {
            error = $"the secret in {path} is {length} bytes; it needs at least {MinimumSecretBytes} (create one with: openssl rand -base64 48 > {path})";
            return false;
        }
        secret = bytes[..length];
        error = null;
        return true;
    }

    private static bool TryReadPublicKey(string path, [NotNullWhen(true)] out SecurityKey? key, out string[] algorithms, [NotNullWhen(false)] out string? error)
    {
        key = null;
        algorithms = [];
        string pem;
        try
        {
            pem = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"cannot read the public key file {path}: {e.Message}";
            return false;
        }
        // Only the public half is kept, even when the file holds a private key.
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            var publicRsa = RSA.Create();
            publicRsa.ImportParameters(rsa.ExportParameters(includePrivateParameters: false));
            key = new RsaSecurityKey(publicRsa);
            algorithms =
            [
                SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
            ];
            error = null;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            // Not an RSA key: try EC below.
        }
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            var parameters = ec.ExportParameters(includePrivateParameters: false);
            var publicEc = ECDsa.Create(parameters);
            key = new ECDsaSecurityKey(publicEc);
            algorithms = [publicEc.KeySize switch
            {
                256 => SecurityAlgorithms.EcdsaSha256,
                384 => SecurityAlgorithms.EcdsaSha384,
                _ => SecurityAlgorithms.EcdsaSha512,
            }];
            error = null;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            error = $"{path} holds no PEM RSA or EC public key (-----BEGIN PUBLIC KEY-----)";
            return false;
        }
    }
}
