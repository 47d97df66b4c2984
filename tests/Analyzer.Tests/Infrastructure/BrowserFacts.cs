using Xunit.Abstractions;
using Xunit.Sdk;

namespace Analyzer.Tests.Infrastructure;

/// <summary>Debian's Chromium, which the browser tests drive through Playwright (no browser download).</summary>
public static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Launch arguments for a headless run in a container: no sandbox, GPU or background traffic.</summary>
    public static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>ANALYZER_REQUIRE_BROWSER=1 (CI): a missing browser fails the test instead of skipping it.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("ANALYZER_REQUIRE_BROWSER") == "1";

    public static string? UnavailableReason => File.Exists(ChromiumPath)
        ? null
        : $"{ChromiumPath} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests";
}

/// <summary>
/// A fact that needs Chromium: skipped, with the reason shown, when <see cref="Browser.ChromiumPath"/> is
/// missing — unless ANALYZER_REQUIRE_BROWSER=1, where it runs and fails.
/// </summary>
[XunitTestCaseDiscoverer("Analyzer.Tests.Infrastructure.BrowserFactDiscoverer", "Analyzer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute;

public sealed class BrowserFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        !Browser.Required && Browser.UnavailableReason is { } reason
            ? [BackendSkip.Skipped(sink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}
