using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>
/// HTTPS in Kestrel itself, for deployments without a proxy that ends TLS: <see cref="WebOptions.TlsCert"/> names a
/// certificate (PEM, with its key in the same file or in <see cref="WebOptions.TlsKey"/>, or PKCS#12), the API port then
/// speaks HTTPS only, and answers carry HSTS; plain HTTP requests that reach the pipeline are redirected. Without a
/// certificate none of this is on: behind a proxy, HSTS is the proxy's business.
/// </summary>
public static class Tls
{
    /// <summary>HSTS lifetime: a year, the usual value for a service that stays on HTTPS.</summary>
    public static readonly TimeSpan HstsMaxAge = TimeSpan.FromDays(365);

    public static bool Enabled(WebOptions web) => !string.IsNullOrEmpty(web.TlsCert);

    /// <summary>Reads the certificate of <paramref name="web"/>; <paramref name="error"/> is one line naming the file, never the password.</summary>
    public static bool TryLoad(WebOptions web, [NotNullWhen(true)] out X509Certificate2? certificate, [NotNullWhen(false)] out string? error)
    {
        certificate = null;
        error = null;
        try
        {
            var password = string.IsNullOrEmpty(web.TlsCertPasswordFile) ? null : File.ReadAllText(web.TlsCertPasswordFile).TrimEnd('\r', '\n');
            certificate = IsPem(web.TlsCert)
                ? LoadPem(web.TlsCert, string.IsNullOrEmpty(web.TlsKey) ? null : web.TlsKey, password)
                : X509CertificateLoader.LoadPkcs12FromFile(web.TlsCert, password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            error = $"--tls-cert: cannot use '{web.TlsCert}'{(string.IsNullOrEmpty(web.TlsKey) ? "" : $" with the key '{web.TlsKey}'")}: {e.Message}";
            return false;
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            certificate = null;
            error = $"--tls-cert: '{web.TlsCert}' holds no private key; give it with --tls-key";
            return false;
        }
        return true;
    }

    private static bool IsPem(string path)
    {
        Span<byte> start = stackalloc byte[64];
        using var file = File.OpenRead(path);
        var read = file.Read(start);
        return System.Text.Encoding.ASCII.GetString(start[..read]).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static X509Certificate2 LoadPem(string certificate, string? key, string? password)
    {
        if (key is null && !File.ReadAllText(certificate).Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            return X509CertificateLoader.LoadCertificateFromFile(certificate); // no key: refused by the caller, naming --tls-key
        }
        using var pem = password is null
            ? X509Certificate2.CreateFromPemFile(certificate, key)
            : X509Certificate2.CreateFromEncryptedPemFile(certificate, password, key);
        // An ephemeral PEM key works for TLS on Linux; exporting to PKCS#12 keeps it usable on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public static void Configure(KestrelServerOptions kestrel, WebOptions web)
    {
        if (!Enabled(web))
        {
            return;
        }
        if (!TryLoad(web, out var certificate, out var error))
        {
            throw new InvalidOperationException(error);
        }
        kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
    }

    public static IServiceCollection AddTls(this IServiceCollection services)
    {
        services.Configure<HstsOptions>(hsts =>
        {
            hsts.MaxAge = HstsMaxAge;
            // Whoever sets --tls-cert asked for HTTPS on every name the service answers to, loopback included.
            hsts.ExcludedHosts.Clear();
        });
        return services;
    }

    public static WebApplication UseTls(this WebApplication app)
    {
        if (Enabled(app.Services.GetRequiredService<IOptions<WebOptions>>().Value))
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        return app;
    }
}
