using Analyzer.Analytics;
using Analyzer.Auth;
using Analyzer.Cli;
using Analyzer.Datasets;
using Analyzer.Docs;
using Analyzer.Events;
using Analyzer.Grpc;
using Analyzer.Imports;
using Analyzer.Jobs;
using Analyzer.Observability;
using Analyzer.Storage;
using Analyzer.Web;

/// <summary>The executable: a command line (<see cref="AnalyzerCli"/>) whose <c>serve</c> runs the web service built here.</summary>
public sealed partial class Program
{
    /// <summary>Host arguments (as WebApplicationFactory passes them) go to the web host, the rest to the CLI.</summary>
    private static readonly string[] HostArgumentPrefixes = ["--environment=", "--contentRoot=", "--applicationName="];

    private static string[] hostArguments = [];

    public static Task<int> Main(string[] args)
    {
        hostArguments = [.. args.Where(IsHostArgument)];
        return AnalyzerCli.InvokeAsync([.. args.Where(a => !IsHostArgument(a))]);
    }

    private static bool IsHostArgument(string argument) =>
        HostArgumentPrefixes.Any(prefix => argument.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The web service, feature by feature. <paramref name="settings"/> are configuration keys (Analyzer:DB, ...: see <see cref="Settings"/>).</summary>
    public static WebApplication BuildWebApp(IEnumerable<KeyValuePair<string, string?>> settings, string url)
    {
        var builder = WebApplication.CreateBuilder(hostArguments);
        // Under systemd (deploy/systemd, Type=notify): READY=1 once serving, STOPPING=1 on SIGTERM; elsewhere nothing.
        // Before the log format, so that --log-format wins over the journal formatter it would pick.
        builder.Services.AddSystemd();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(url);
        builder.Logging.UseAnalyzerFormat(builder.Configuration[Settings.Of<WebOptions>(nameof(WebOptions.LogFormat)).Path]);

        builder.Services
            .AddAnalyzerWeb()
            .AddStorage()
            .AddAnalyzerHealthChecks()
            .AddImports()
            .AddImportCatalog()
            .AddAnalytics()
            .AddDatasets()
            .AddJobs()
            .AddEvents()
            .AddAnalyzerAuth()
            .AddAnalyzerDocs()
            .AddAnalyzerGrpc()
            .AddAnalyzerObservability();

        var app = builder.Build();
        app.UseAnalyzerWeb();
        app.UseDashboard();
        app.UseAnalyzerAuth();
        app.UseRateLimits();
        app.MapImports();
        app.MapImportsList();
        app.MapAnalytics();
        app.MapDatasets();
        app.MapJobs();
        app.MapEvents();
        app.MapHealth();
        app.MapAuth();
        app.MapDocs();
        app.MapIndex();
        app.MapAnalyzerGrpc();
        app.MapMetrics();
        return app;
    }
}
