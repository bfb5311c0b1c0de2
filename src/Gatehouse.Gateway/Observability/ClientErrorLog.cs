using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Observability;

/// <summary>What a client did wrong; each kind is rate-limited on its own.</summary>
internal enum ClientErrorKind
{
    /// <summary>A request line, header or framing Kestrel rejected (400 from Kestrel), or a request that cannot be forwarded.</summary>
    BadRequest,

    /// <summary>A malformed request body (bad chunked framing, a body shorter than its Content-Length).</summary>
    MalformedBody,

    /// <summary>A request body over the configured size limit.</summary>
    BodyTooLarge,

    /// <summary>An upload slower than the minimum data rate (a stalled or dribbling body).</summary>
    StalledUpload,

    /// <summary>The client went away: aborted or reset the connection mid-request or mid-response.</summary>
    Aborted,
}

/// <summary>
/// Logs client-caused errors as one warning line each, without an exception or stack trace, and at most one line per
/// kind per interval: the rest of an interval is counted and summed up in one line ("N more like this in the last
/// 10 s"). A client's mistake says nothing about the gateway, so a flood of them must neither fill the disk (2,000
/// 90-byte bad requests used to write 3.4 MB of stack traces) nor bury the lines that do matter.
/// </summary>
/// <remarks>
/// Lock-free: a request that loses the race for its kind's log slot only increments a counter (one CAS or one
/// <see cref="Interlocked.Increment(ref int)"/>), so a flood costs no formatting and no contention. Server-side errors
/// are never reported here; they keep their own events with the exception (<c>ForwardFailed</c>, Kestrel's
/// application errors).
/// </remarks>
internal sealed partial class ClientErrorLog : IDisposable
{
    /// <summary>The log category, so operators can raise or lower client errors on their own.</summary>
    public const string Category = "Gatehouse.Gateway.ClientErrors";

    /// <summary>The configuration key of the interval (a TimeSpan, 00:00:10 by default).</summary>
    public const string IntervalKey = "Gatehouse:Logging:ClientErrorInterval";

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private const string ReportedKey = "Gatehouse.ClientErrorReported";

    private static readonly int KindCount = Enum.GetValues<ClientErrorKind>().Length;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly int _intervalSeconds;
    private readonly Window[] _windows;
    private ITimer? _flushTimer;
    private int _disposed;

    public ClientErrorLog(ILogger logger, TimeProvider? time = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var every = interval ?? DefaultInterval;
        if (every <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), every, "The client error interval must be positive.");
        }

        _logger = logger;
        _time = time ?? TimeProvider.System;
        Interval = every;
        _intervalTicks = (long)(every.TotalSeconds * _time.TimestampFrequency);
        _intervalSeconds = (int)Math.Max(1, Math.Round(every.TotalSeconds));
        _windows = new Window[KindCount];
        for (var i = 0; i < _windows.Length; i++)
        {
            _windows[i] = new Window();
        }
    }

    public TimeSpan Interval { get; }

    /// <summary>Reports one client error; logs it if it is the first of its kind in the interval, else counts it.</summary>
    /// <param name="kind">What the client did.</param>
    /// <param name="context">The exchange, for the client's address; null when there is none (Kestrel rejected the request).</param>
    /// <param name="exception">What was thrown; only its message is logged, never its stack.</param>
    /// <param name="client">Who, when there is no <paramref name="context"/> (e.g. Kestrel's connection id).</param>
    public void Report(ClientErrorKind kind, HttpContext? context, Exception? exception, string? client = null)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        if (exception is not null)
        {
            if (WasReported(exception))
            {
                return;
            }

            MarkReported(exception);
        }

        var window = _windows[(int)kind];
        var now = _time.GetTimestamp();
        var openUntil = Volatile.Read(ref window.OpenUntil);
        if (now >= openUntil && Interlocked.CompareExchange(ref window.OpenUntil, now + _intervalTicks, openUntil) == openUntil)
        {
            Log.ClientError(_logger, kind, Client(context, client), Detail(exception), _intervalSeconds);
            return;
        }

        Interlocked.Increment(ref window.Suppressed);
        if (Volatile.Read(ref _flushTimer) is null)
        {
            StartFlushing();
        }
    }

    /// <summary>Writes one summary line per kind with errors counted since the last flush.</summary>
    internal void Flush()
    {
        for (var i = 0; i < _windows.Length; i++)
        {
            var count = Interlocked.Exchange(ref _windows[i].Suppressed, 0);
            if (count > 0)
            {
                Log.ClientErrorsSuppressed(_logger, count, (ClientErrorKind)i, _intervalSeconds);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _flushTimer, null)?.Dispose();
        try
        {
            Flush();
        }
        catch (ObjectDisposedException)
        {
            // The logging providers went first at shutdown; the last counts have nowhere to go.
        }
    }

    /// <summary>
    /// The summary timer starts with the first suppressed error, so a gateway that never sees a flood runs no timer.
    /// Flushing once per interval means every summary covers at most the last interval.
    /// </summary>
    private void StartFlushing()
    {
        var timer = _time.CreateTimer(static state => ((ClientErrorLog)state!).Flush(), this, Interval, Interval);
        if (Interlocked.CompareExchange(ref _flushTimer, timer, null) is not null || Volatile.Read(ref _disposed) != 0)
        {
            timer.Dispose();
        }
    }

    /// <summary>
    /// Kestrel keeps a failed request body's exception and throws the same instance again when it drains the body after
    /// the gateway answered, then logs it as a bad request of its own: marked, one client error stays one.
    /// </summary>
    internal static bool WasReported(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current.Data.Contains(ReportedKey))
            {
                return true;
            }
        }

        return false;
    }

    private static void MarkReported(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            current.Data[ReportedKey] = true;
        }
    }

    private static string Client(HttpContext? context, string? client)
        => context?.Connection.RemoteIpAddress?.ToString() ?? client ?? "unknown client";

    /// <summary>
    /// The client's mistake in Kestrel's words ("Bad chunk size data.", "Invalid request line: ..."), which sits on a
    /// <see cref="BadHttpRequestException"/> somewhere in the chain; otherwise the innermost message ("Connection
    /// reset by peer") rather than the wrappers' generic ones.
    /// </summary>
    internal static string Detail(Exception? exception)
    {
        if (exception is null)
        {
            return "no detail";
        }

        var innermost = exception;
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is BadHttpRequestException)
            {
                return current.Message;
            }

            innermost = current;
        }

        return innermost.Message;
    }

    private sealed class Window
    {
        /// <summary>Timestamp until which further errors of this kind are counted instead of logged.</summary>
        public long OpenUntil;

        /// <summary>Errors counted since the last flush.</summary>
        public int Suppressed;
    }

    /// <summary>Event ids 4201-4209 belong to client errors.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, EventName = "ClientError", Level = LogLevel.Warning,
            Message = "Client error {Kind} from {Client}: {Detail} (more of this kind within {Seconds} s are counted, not logged)")]
        public static partial void ClientError(ILogger logger, ClientErrorKind kind, string client, string detail, int seconds);

        [LoggerMessage(EventId = 4202, EventName = "ClientErrorsCounted", Level = LogLevel.Warning,
            Message = "{Count} more {Kind} client errors like this in the last {Seconds} s")]
        public static partial void ClientErrorsSuppressed(ILogger logger, int count, ClientErrorKind kind, int seconds);
    }
}
