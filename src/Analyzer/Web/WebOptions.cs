using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Analyzer.Web;

/// <summary>Settings of the web server: where it listens, what it logs, request limits, CORS, shutdown. See <see cref="Settings"/>.</summary>
public sealed class WebOptions
{
    [ConfigurationKeyName("API_ADDRESS"), Setting("Address to listen on: an IP address, localhost, 0.0.0.0 or :: (every interface) or a host name that resolves")]
    [ListenAddress]
    public string ApiAddress { get; set; } = "0.0.0.0";

    [ConfigurationKeyName("API_PORT"), Setting("Port to listen on"), Range(1, 65535)]
    public int ApiPort { get; set; } = 8080;

    /// <summary>The gRPC API (Grpc/): HTTP/2 without TLS on the same address; 0 serves no gRPC.</summary>
    [ConfigurationKeyName("GRPC_PORT"), Setting("Port of the gRPC API (HTTP/2 without TLS, h2c) on the same address; 0: no gRPC"), Range(0, 65535)]
    public int GrpcPort { get; set; } = 8081;

    [ConfigurationKeyName("LOG_LEVEL"), Setting("Minimum log level: Trace, Debug, Information, Warning, Error, Critical, None")]
    [EnumDataType(typeof(LogLevel))]
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    [ConfigurationKeyName("LOG_FORMAT"), Setting("Log output: json or text (default: json unless the output is a terminal)")]
    [AllowedValues(Web.LogFormat.Json, Web.LogFormat.Text)]
    public string LogFormat { get; set; } = Web.LogFormat.Default;

    [ConfigurationKeyName("MAX_REQUEST_BODY_BYTES"), Setting("Largest JSON request body accepted; larger ones get 413"), Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Empty turns CORS off.</summary>
    [ConfigurationKeyName("CORS_ORIGINS"), Setting("Origins allowed by CORS, comma separated (default: CORS off)")]
    public string CorsOrigins { get; set; } = "";

    [ConfigurationKeyName("SHUTDOWN_TIMEOUT"), Setting("Seconds a stopping service waits for requests in flight"), Range(1, int.MaxValue)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>See <see cref="ShutdownDrain"/>; the shutdown timeout counts from the drain's end.</summary>
    [ConfigurationKeyName("SHUTDOWN_DRAIN"), Setting("Seconds a stopping service keeps serving, closing each connection after its answer, before its listener stops (behind a proxy with keep-alive connections; 0: stop at once)")]
    [Range(0, 3600)]
    public int ShutdownDrainSeconds { get; set; }

    /// <summary>Where clients reach the service; links it hands out (confirm_url) start with it. Empty: see <see cref="PublicLinks"/>.</summary>
    [ConfigurationKeyName("PUBLIC_URL"), Setting("Absolute URL clients reach the service at (https://analyzer.example/base); links the service hands out start with it")]
    [AbsoluteHttpUrl]
    public string PublicUrl { get; set; } = "";

    /// <summary>Empty: every Host header is served (ASP.NET Core's host filtering is off).</summary>
    [ConfigurationKeyName("ALLOWED_HOSTS"), Setting("Host names the service answers to, comma separated (*.example.com allowed); other Host headers get 400 (default: any)")]
    public string AllowedHosts { get; set; } = "";

    /// <summary>Per client: the token's subject, or its address without one (see <see cref="RateLimits"/>).</summary>
    [ConfigurationKeyName("RATE_LIMIT_READS"), Setting("Reads (GET, HEAD, OPTIONS) each client may send per second; more get 429 (0: no limit)"), Range(0, int.MaxValue)]
    public int RateLimitReads { get; set; }

    [ConfigurationKeyName("RATE_LIMIT_WRITES"), Setting("Writes (POST, PUT, PATCH, DELETE) each client may send per second; more get 429 (0: no limit)"), Range(0, int.MaxValue)]
    public int RateLimitWrites { get; set; }

    /// <summary>Empty: plain HTTP (TLS ends at a proxy). See <see cref="Tls"/>.</summary>
    [ConfigurationKeyName("TLS_CERT"), Setting("Certificate file (PEM or PKCS#12 .pfx) for HTTPS on the API port, with HSTS and redirection to HTTPS (default: plain HTTP)")]
    public string TlsCert { get; set; } = "";

    [ConfigurationKeyName("TLS_KEY"), Setting("Private key file (PEM) of --tls-cert when the certificate file does not hold it")]
    public string TlsKey { get; set; } = "";

    [ConfigurationKeyName("TLS_CERT_PASSWORD_FILE"), Setting("File holding the password of a PKCS#12 --tls-cert or of an encrypted PEM key")]
    public string TlsCertPasswordFile { get; set; } = "";
}

/// <summary>Empty, or an absolute http:// or https:// URL without a query or fragment.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AbsoluteHttpUrlAttribute() : ValidationAttribute("must be an absolute http:// or https:// URL without a query, like https://analyzer.example")
{
    public override bool IsValid(object? value) =>
        value is not string text || text.Length == 0
        || Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0 && uri.Fragment.Length == 0
            && !string.IsNullOrEmpty(uri.Host);
}

/// <summary>
/// What <c>--api-address</c> may be, and what it binds: an IP address (IPv4 in its dotted form, so that <c>127.1</c> or a
/// typo is not taken for another address), <c>localhost</c>, <c>0.0.0.0</c> or <c>::</c> (every interface, said
/// explicitly), or a host name that resolves, which binds exactly the addresses it resolves to. Kestrel alone would
/// listen on every interface for any host name it does not know, a mistyped address included.
/// </summary>
public static class ListenAddress
{
    public const string Localhost = "localhost";

    /// <summary>
    /// The hosts to put in the listening URLs (<c>localhost</c>, or addresses, IPv6 ones in brackets), or the reason
    /// <paramref name="text"/> is none of the accepted forms.
    /// </summary>
    public static bool TryResolve(string? text, [NotNullWhen(true)] out IReadOnlyList<string>? hosts, [NotNullWhen(false)] out string? error)
    {
        hosts = null;
        error = null;
        var address = text?.Trim() ?? "";
        const string Accepted = "use an IP address, localhost, 0.0.0.0 or :: (every interface) or a host name that resolves";
        if (address.Length == 0)
        {
            error = $"is empty; {Accepted}";
            return false;
        }
        if (address.Equals(Localhost, StringComparison.OrdinalIgnoreCase))
        {
            hosts = [Localhost];
            return true;
        }
        var unbracketed = address.StartsWith('[') && address.EndsWith(']') ? address[1..^1] : address;
        if (IPAddress.TryParse(unbracketed, out var ip))
        {
            if (ip.AddressFamily == AddressFamily.InterNetwork && ip.ToString() != unbracketed)
            {
                error = $"'{address}' is not an IPv4 address in its dotted form (did you mean {ip}?); {Accepted}";
                return false;
            }
            hosts = [UrlHost(ip)];
            return true;
        }
        if (unbracketed.All(c => char.IsAsciiDigit(c) || c == '.') || Uri.CheckHostName(address) != UriHostNameType.Dns)
        {
            error = $"'{address}' is not an IP address or a host name; {Accepted}";
            return false;
        }
        IPAddress[] resolved;
        try
        {
            resolved = Dns.GetHostAddresses(address);
        }
        catch (SocketException e)
        {
            error = $"'{address}' is not an IP address and the host name does not resolve ({e.Message}); {Accepted}";
            return false;
        }
        if (resolved.Length == 0)
        {
            error = $"the host name '{address}' resolves to no address; {Accepted}";
            return false;
        }
        hosts = [.. resolved.Distinct().Select(UrlHost)];
        return true;
    }

    private static string UrlHost(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

/// <summary>An address <see cref="ListenAddress.TryResolve"/> accepts.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListenAddressAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        ListenAddress.TryResolve(value as string, out _, out var error)
            ? ValidationResult.Success
            : new ValidationResult(error, validationContext.MemberName is { } member ? [member] : null);
}
