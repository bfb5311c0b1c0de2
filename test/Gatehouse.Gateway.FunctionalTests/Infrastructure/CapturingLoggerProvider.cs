using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>Records the entries of every logger it creates, so tests can wait for a logged event.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>Entries of all categories, in the order they were logged.</summary>
    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    /// <summary>Whether an entry with <paramref name="eventId"/> was logged.</summary>
    public bool Has(int eventId) => _entries.Any(e => e.EventId.Id == eventId);

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(_entries);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
    }
}
