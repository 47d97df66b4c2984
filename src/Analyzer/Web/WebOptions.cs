using System.ComponentModel.DataAnnotations;

namespace Analyzer.Web;

/// <summary>Settings of the web server: where it listens, what it logs, request limits, CORS, shutdown. See <see cref="Settings"/>.</summary>
public sealed class WebOptions
{
    [ConfigurationKeyName("API_ADDRESS"), Setting("Address to listen on")]
    public string ApiAddress { get; set; } = "0.0.0.0";

    [ConfigurationKeyName("API_PORT"), Setting("Port to listen on"), Range(1, 65535)]
    public int ApiPort { get; set; } = 8080;

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

    /// <summary>Where clients reach the service; links it hands out (confirm_url) start with it. Empty: see <see cref="PublicLinks"/>.</summary>
    [ConfigurationKeyName("PUBLIC_URL"), Setting("Absolute URL clients reach the service at (https://analyzer.example/base); links the service hands out start with it")]
    [AbsoluteHttpUrl]
    public string PublicUrl { get; set; } = "";

    /// <summary>Empty: every Host header is served (ASP.NET Core's host filtering is off).</summary>
    [ConfigurationKeyName("ALLOWED_HOSTS"), Setting("Host names the service answers to, comma separated (*.example.com allowed); other Host headers get 400 (default: any)")]
    public string AllowedHosts { get; set; } = "";
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
