using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// Turns Kestrel's own reports of client mistakes into <see cref="ClientErrorLog"/> lines. Kestrel rejects a bad request
/// line or header, and sees a connection reset while reading a request, before the gateway's code runs; it logs them
/// at Debug under <see cref="Category"/>, with the exception and its stack. This provider is the only one that
/// receives that category at Debug (<see cref="Register"/>); the console stays at the framework's Warning and prints
/// nothing of it, so each such error becomes one rate-limited warning line without a stack.
/// </summary>
internal sealed class KestrelClientErrors(IServiceProvider services) : ILoggerProvider
{
    /// <summary>Kestrel's category for requests it rejects.</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    // Kestrel's event names (KestrelTrace.BadRequests): 17 and 20 in .NET 8 to 10.
    private const string ConnectionBadRequest = "ConnectionBadRequest";
    private const string RequestProcessingError = "RequestProcessingError";

    private ClientErrorLog? _log;

    /// <summary>Adds the provider and the filter rules that give it, and only it, Kestrel's bad-request events.</summary>
    public static void Register(ILoggingBuilder logging)
    {
        logging.Services.AddSingleton<ILoggerProvider, KestrelClientErrors>();
        logging.AddFilter<KestrelClientErrors>(null, LogLevel.None);
        logging.AddFilter<KestrelClientErrors>(Category, LogLevel.Debug);
    }

    public ILogger CreateLogger(string categoryName)
        => categoryName == Category ? new Bridge(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    /// <summary>
    /// Resolved on first use: the provider is built with the logger factory, which <see cref="ClientErrorLog"/>'s own
    /// logger needs, so asking for it in the constructor would be a dependency cycle.
    /// </summary>
    private ClientErrorLog Log => _log ??= services.GetRequiredService<ClientErrorLog>();

    internal static ClientErrorKind? Classify(EventId eventId, Exception? exception)
    {
        if (eventId.Name == ConnectionBadRequest)
        {
            return ClientErrorKind.BadRequest;
        }

        // RequestProcessingError also follows a body error the forwarder has already reported; only a reset (a
        // client gone while Kestrel was still reading the request line or headers) is new here.
        if (eventId.Name == RequestProcessingError)
        {
            for (var current = exception; current is not null; current = current.InnerException)
            {
                if (current is ConnectionResetException)
                {
                    return ClientErrorKind.Aborted;
                }
            }
        }

        return null;
    }

    private sealed class Bridge(KestrelClientErrors owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (Classify(eventId, exception) is not { } kind)
            {
                return;
            }

            owner.Log.Report(kind, context: null, exception, ConnectionOf(state));
        }

        /// <summary>"connection 0HN…" from the event's ConnectionId field: Kestrel does not log the client's address here.</summary>
        private static string? ConnectionOf<TState>(TState state)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var field in fields)
                {
                    if (field.Key == "ConnectionId" && field.Value is string id)
                    {
                        return "connection " + id;
                    }
                }
            }

            return null;
        }
    }
}
