using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Hostile;

/// <summary>
/// <c>--tls-cert</c> (<see cref="Analyzer.Web.Tls"/>): the Release executable with a self-signed certificate made here
/// answers HTTPS on loopback with HSTS and without a Server banner; a certificate it cannot use stops the start with one line.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("analyzer-tls-");

    public void Dispose() => folder.Delete(recursive: true);

    private (string Certificate, string Key, string Thumbprint) SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(folder.FullName, "cert.pem");
        var keyPath = Path.Combine(folder.FullName, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, certificate.Thumbprint);
    }

    /// <summary>
    /// Polls <c>GET /health</c> over HTTPS for up to two minutes (a loaded CI machine starts slowly; the shared helper
    /// waits 20 s) and returns the first 200.
    /// </summary>
    private static async Task<HttpResponseMessage> HealthyAsync(AnalyzerProcess service, HttpClient client)
    {
        for (var attempt = 0; attempt < 240; attempt++)
        {
            Assert.False(service.HasExited, "analyzer exited before /health answered 200");
            try
            {
                var response = await client.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return response;
                }
                response.Dispose();
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // the client's timeout: try again
            }
            await Task.Delay(500);
        }
        throw new TimeoutException("GET /health over HTTPS never answered 200 within two minutes");
    }

    [Fact]
    public async Task With_a_certificate_the_API_answers_HTTPS_with_HSTS_and_no_Server_banner()
    {
        var (certificate, key, thumbprint) = SelfSigned();
        var port = AnalyzerProcess.FreePort();
        await using var service = AnalyzerProcess.Start(folder.FullName, null, "serve", "--db", "sqlite://" + Path.Combine(folder.FullName, "a.db"),
            "--api-address", "127.0.0.1", "--api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--grpc-port", "0",
            "--tls-cert", certificate, "--tls-key", key);
        using var handler = new HttpClientHandler
        {
            // Trust exactly the certificate made above.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = await HealthyAsync(service, client);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hsts = string.Join(",", response.Headers.GetValues("Strict-Transport-Security"));
        Assert.Contains("max-age=31536000", hsts, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"), $"Server: {response.Headers.Server}");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var refused = await plain.GetAsync("/health");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode); // Kestrel's answer to plain HTTP on a TLS port, if any
        }
        catch (HttpRequestException)
        {
            // the TLS port closed the plain connection: nothing was served without TLS
        }
    }

    [Fact]
    public async Task A_missing_certificate_or_one_without_a_key_stops_the_start_with_one_line()
    {
        var missing = await AnalyzerProcess.RunAsync(folder.FullName, null, "serve", "--db", "sqlite://" + Path.Combine(folder.FullName, "c.db"),
            "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--grpc-port", "0",
            "--tls-cert", Path.Combine(folder.FullName, "absent.pem"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--tls-cert", missing.AssertOneErrorLine(), StringComparison.Ordinal);

        var (certificate, _, _) = SelfSigned();
        var keyless = await AnalyzerProcess.RunAsync(folder.FullName, null, "serve", "--db", "sqlite://" + Path.Combine(folder.FullName, "d.db"),
            "--api-port", AnalyzerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--grpc-port", "0",
            "--tls-cert", certificate);
        Assert.Equal(2, keyless.ExitCode);
        Assert.Contains("--tls-key", keyless.AssertOneErrorLine(), StringComparison.Ordinal);
    }
}
