using Analyzer.Analytics;
using Analyzer.Cli;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Web;

/// <summary>The executable: a command line (<see cref="AnalyzerCli"/>) whose <c>serve</c> runs the web service built here.</summary>
public sealed partial class Program
{
    public static Task<int> Main(string[] args) => AnalyzerCli.InvokeAsync(args);

    /// <summary>The web service, feature by feature. <paramref name="settings"/> are configuration keys (Analyzer:Db, ...).</summary>
    public static WebApplication BuildWebApp(IEnumerable<KeyValuePair<string, string?>> settings, string url)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(url);

        builder.Services
            .AddAnalyzerWeb()
            .AddStorage()
            .AddAnalyzerHealthChecks();

        var app = builder.Build();
        app.UseAnalyzerWeb();
        app.MapImports();
        app.MapAnalytics();
        app.MapHealth();
        return app;
    }
}
