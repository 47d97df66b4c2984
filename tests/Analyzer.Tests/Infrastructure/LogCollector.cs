using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Analyzer.Tests.Infrastructure;

public sealed record LogEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);

/// <summary>Keeps every log entry of a test server, with its state and scope values, for assertions.</summary>
public sealed class LogCollector : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> entries = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<LogEntry> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector collector, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => collector.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>();
            collector.scopes.ForEachScope((scope, all) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        all[key] = value;
                    }
                }
            }, values);
            if (state is IEnumerable<KeyValuePair<string, object?>> statePairs)
            {
                foreach (var (key, value) in statePairs)
                {
                    values[key] = value;
                }
            }
            collector.entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception) + (exception is null ? "" : "\n" + exception), values));
        }
    }
}
