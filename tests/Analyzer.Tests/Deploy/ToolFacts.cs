using Analyzer.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Analyzer.Tests.Deploy;

/// <summary>
/// A fact that needs a program of the machine (nginx, systemd-analyze, kubectl): skipped, with the reason shown, when it
/// is not installed, unless ANALYZER_REQUIRE_DEPLOY_TOOLS=1 (CI, which installs nginx and systemd) and the tool is not
/// <see cref="Optional"/>: then it runs and fails. In a class that needs PostgreSQL (<see cref="IPostgresTests"/>) it is
/// also skipped as a <see cref="BackendFactAttribute"/> would be.
/// </summary>
[XunitTestCaseDiscoverer("Analyzer.Tests.Deploy.ToolFactDiscoverer", "Analyzer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute(string tool) : FactAttribute
{
    public string Tool { get; } = tool;

    /// <summary>Skipped whenever missing, even in CI (kubectl: no Debian package installs it).</summary>
    public bool Optional { get; set; }

    /// <summary>Where the tool is when it is not on PATH (Debian puts nginx and systemd-analyze under /usr/sbin and /usr/bin).</summary>
    public static string? Find(string tool) => DeployFiles.Program(tool, "/usr/sbin/" + tool, "/usr/bin/" + tool);

    /// <summary>The tool's path; a failure naming it when it is missing (ANALYZER_REQUIRE_DEPLOY_TOOLS=1 ran the test anyway).</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new FileNotFoundException($"{tool} is not installed, and ANALYZER_REQUIRE_DEPLOY_TOOLS=1 requires it", tool);
}

public sealed class ToolFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var tool = factAttribute.GetConstructorArguments().Cast<string>().Single();
        var optional = factAttribute.GetNamedArgument<bool>(nameof(ToolFactAttribute.Optional));
        if (ToolFactAttribute.Find(tool) is null && (optional || !DeployFiles.ToolsRequired))
        {
            return [BackendSkip.Skipped(sink, discoveryOptions, testMethod, $"{tool} is not installed (Debian: apt-get install {(tool == "systemd-analyze" ? "systemd" : tool)})")];
        }
        // A class that also needs PostgreSQL (IPostgresTests) is skipped like a BackendFact's when none can run here.
        return BackendSkip.Reason(testMethod) is { } reason
            ? [BackendSkip.Skipped(sink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
