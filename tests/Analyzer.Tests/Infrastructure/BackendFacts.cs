using Xunit.Abstractions;
using Xunit.Sdk;

namespace Analyzer.Tests.Infrastructure;

/// <summary>Marks a test class whose tests need PostgreSQL.</summary>
public interface IPostgresTests;

/// <summary>
/// A fact that is skipped, with the reason shown, when its class needs PostgreSQL and none can be
/// started here — unless ANALYZER_REQUIRE_PG=1, where the fixture fails instead.
/// </summary>
[XunitTestCaseDiscoverer("Analyzer.Tests.Infrastructure.BackendFactDiscoverer", "Analyzer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BackendFactAttribute : FactAttribute;

/// <summary>The theory counterpart of <see cref="BackendFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Analyzer.Tests.Infrastructure.BackendTheoryDiscoverer", "Analyzer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BackendTheoryAttribute : TheoryAttribute;

internal static class BackendSkip
{
    public static string? Reason(ITestMethod method) =>
        !PostgresCluster.Required
        && typeof(IPostgresTests).IsAssignableFrom(method.TestClass.Class.ToRuntimeType())
            ? PostgresCluster.UnavailableReason
            : null;

    public static IXunitTestCase Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, string reason) =>
        new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, reason);
}

public sealed class BackendFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        BackendSkip.Reason(testMethod) is { } reason
            ? [BackendSkip.Skipped(sink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}

public sealed class BackendTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    private readonly IMessageSink sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        BackendSkip.Reason(testMethod) is { } reason
            ? [BackendSkip.Skipped(sink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
