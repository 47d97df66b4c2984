using System.Security.Cryptography;
using System.Text;
using Analyzer.Auth;
using Analyzer.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Tests.Auth;

/// <summary>
/// The keys of the auth fixtures, written once per test run to a temp folder: an HS256 secret (base64 text
/// with a trailing newline, as <c>openssl rand -base64 48</c> writes it) and the public half of an EC key
/// that stands for an identity provider elsewhere.
/// </summary>
public static class TestKeys
{
    public const string Issuer = "https://issuer.example";
    public const string Audience = "analyzer-tests";

    /// <summary>The secret as the service uses it: the file's text without its newline.</summary>
    public static byte[] Secret { get; } = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));

    /// <summary>The identity provider's private key; the service only has its public half.</summary>
    public static ECDsa ExternalKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static readonly Lazy<DirectoryInfo> Folder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("analyzer-auth-");
        File.WriteAllText(Path.Combine(folder.FullName, "secret"), Encoding.ASCII.GetString(Secret) + "\n");
        File.WriteAllText(Path.Combine(folder.FullName, "issuer.pem"), ExternalKey.ExportSubjectPublicKeyInfoPem());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Delete(recursive: true);
        return folder;
    });

    public static string FolderPath => Folder.Value.FullName;

    public static string SecretFile => Path.Combine(FolderPath, "secret");

    public static string PublicKeyFile => Path.Combine(FolderPath, "issuer.pem");

    /// <summary>Authentication on with both keys, an issuer and an audience.</summary>
    public static IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Analyzer:AUTH_SECRET_FILE"] = SecretFile,
        ["Analyzer:AUTH_PUBLIC_KEY_FILE"] = PublicKeyFile,
        ["Analyzer:AUTH_ISSUER"] = Issuer,
        ["Analyzer:AUTH_AUDIENCE"] = Audience,
    };

    /// <summary>A clock skew well above the default one.</summary>
    public const int LenientClockSkewSeconds = 120;

    /// <summary><see cref="Settings"/> with a clock skew of <see cref="LenientClockSkewSeconds"/>.</summary>
    public static IReadOnlyDictionary<string, string?> LenientSettings => new Dictionary<string, string?>(Settings)
    {
        ["Analyzer:AUTH_CLOCK_SKEW"] = LenientClockSkewSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A token as <c>analyzer token issue</c> makes it, valid for an hour from now.</summary>
    public static IssuedToken Issue(params string[] scopes) =>
        Tokens.Issue(Secret, scopes, TimeSpan.FromHours(1), DateTimeOffset.UtcNow, "tests", Issuer, Audience);

    /// <summary>A token built by hand: an hour from now, every scope, the fixture's issuer and audience, unless <paramref name="change"/> says otherwise.</summary>
    public static string Custom(Action<SecurityTokenDescriptor> change, SigningCredentials? credentials = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["scope"] = string.Join(' ', Scopes.All),
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            SigningCredentials = credentials ?? new SigningCredentials(new SymmetricSecurityKey(Secret), SecurityAlgorithms.HmacSha256),
        };
        change(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}

/// <summary>The service on SQLite with authentication on.</summary>
public sealed class SqliteAuthApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestKeys.Settings;
}

/// <summary>The service on PostgreSQL with authentication on.</summary>
public sealed class PostgresAuthApp : PostgresApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestKeys.Settings;
}

/// <summary>The service on SQLite with authentication on and a clock skew of <see cref="TestKeys.LenientClockSkewSeconds"/>.</summary>
public sealed class SqliteLenientAuthApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestKeys.LenientSettings;
}

/// <summary>The service on PostgreSQL with authentication on and a clock skew of <see cref="TestKeys.LenientClockSkewSeconds"/>.</summary>
public sealed class PostgresLenientAuthApp : PostgresApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestKeys.LenientSettings;
}
