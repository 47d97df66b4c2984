using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Analyzer.Tests.Infrastructure.AnalyzerTestFramework", "Analyzer.Tests")]

namespace Analyzer.Tests.Infrastructure;

/// <summary>
/// xUnit's own framework, plus what must happen once when the test run ends, while the test host still runs:
/// stopping the PostgreSQL cluster of the run and removing its directory (<see cref="PostgresCluster.StopShared"/>).
/// </summary>
public sealed class AnalyzerTestFramework : XunitTestFramework
{
    public AnalyzerTestFramework(IMessageSink sink)
        : base(sink) => DisposalTracker.Add(new EndOfRun());

    private sealed class EndOfRun : IDisposable
    {
        public void Dispose() => PostgresCluster.StopShared();
    }
}
