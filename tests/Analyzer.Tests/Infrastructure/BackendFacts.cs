using Xunit.Abstractions;
using Xunit.Sdk;

namespace Analyzer.Tests.Infrastructure;

/// <summary>Marks a test class whose tests need PostgreSQL.</summary>
public interface IPostgresTests;

/// <summary>Marks a test class whose tests need PostgreSQL with the PostGIS extension (skipped without it, unless ANALYZER_REQUIRE_PG=1).</summary>
public interface IPostGisTests : IPostgresTests;

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
        PostgresCluster.Required ? null
        : typeof(IPostGisTests).IsAssignableFrom(method.TestClass.Class.ToRuntimeType()) ? PostgresCluster.PostGisUnavailableReason
        : typeof(IPostgresTests).IsAssignableFrom(method.TestClass.Class.ToRuntimeType()) ? PostgresCluster.UnavailableReason
        : null;

    public static IXunitTestCase Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, string reason) =>
        new ReasonedSkippedTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, reason);
}

/// <summary>
/// A skipped test whose name carries the reason: <c>dotnet test</c> at its default (minimal) verbosity names skipped
/// tests but prints their reasons only at normal verbosity, where every passing test is listed too.
/// </summary>
public sealed class ReasonedSkippedTestCase : XunitSkippedDataRowTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public ReasonedSkippedTestCase()
    {
    }

    public ReasonedSkippedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method, string reason)
        : base(sink, display, displayOptions, method, reason)
    {
    }

    protected override string GetDisplayName(IAttributeInfo factAttribute, string displayName) =>
        $"{base.GetDisplayName(factAttribute, displayName)} [skipped: {GetSkipReason(factAttribute)}]";
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
