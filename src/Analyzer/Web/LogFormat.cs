namespace Analyzer.Web;

public static class LogFormat
{
    public const string Json = "json";
    public const string Text = "text";

    /// <summary>JSON lines for log collectors (the default when the output is not a terminal), one plain line per entry otherwise.</summary>
    public static string Default => Console.IsOutputRedirected ? Json : Text;

    public static ILoggingBuilder UseAnalyzerFormat(this ILoggingBuilder logging, string? format)
    {
        logging.ClearProviders();
        if ((format ?? Default) == Json)
        {
            logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(options =>
            {
                options.IncludeScopes = true;
                options.SingleLine = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        return logging;
    }
}
