using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// The access log: requests add an <see cref="AccessLogEntry"/> to a bounded lock-free queue
/// (<see cref="TryEnqueue"/>, never blocks; a full queue drops the entry and counts it), and one background thread
/// formats the entries as JSON lines and hands them to the <see cref="IAccessLogSink"/>.
/// </summary>
/// <remarks>
/// A dedicated thread rather than a thread-pool loop: file writes block, and a slow or stuck disk must not take a
/// pool thread the request path needs. When the queue is empty the thread flushes the sink and sleeps in short
/// steps (<see cref="IdleWait"/>), so producers never signal anything; a busy queue is drained without sleeping.
/// </remarks>
internal sealed partial class AccessLogWriter : IHostedService, IDisposable
{
    /// <summary>How long the writer sleeps on an empty queue: the most a line waits before it reaches the file.</summary>
    internal static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan ErrorLogInterval = TimeSpan.FromMinutes(1);

    private readonly AccessLogOptions _options;
    private readonly IServiceProvider? _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AccessLogQueue<AccessLogEntry>? _queue;
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly AccessLogFormatter _formatter;
    private IAccessLogSink? _sink;
    private Thread? _thread;
    private int _disposed;
    private long _dropped;
    private long _written;
    private long _writeErrors;
    private DateTimeOffset _nextErrorLog;
    private long _clockBaseTimestamp;
    private long _clockBaseUtcTicks;

    public AccessLogWriter(IOptions<AccessLogOptions> options, IServiceProvider services, ILogger<AccessLogWriter> logger, TimeProvider time)
        : this(options.Value, null, logger, time)
    {
        _services = services;
    }

    /// <summary>For tests and benchmarks: writes to <paramref name="sink"/> (ignoring the options' file settings).</summary>
    internal AccessLogWriter(AccessLogOptions options, IAccessLogSink? sink, ILogger logger, TimeProvider time)
    {
        _options = options;
        _sink = sink;
        _logger = logger;
        _time = time;
        _formatter = new AccessLogFormatter(options.IncludeQuery);
        if (options.Enabled)
        {
            _queue = new AccessLogQueue<AccessLogEntry>(options.QueueCapacity);
        }
    }

    public bool IsEnabled => _queue is not null;

    internal bool IncludeQuery => _options.IncludeQuery;

    /// <summary>Entries refused because the queue was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Lines handed to the sink.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Lines lost because the sink threw (disk full, permissions).</summary>
    public long WriteErrors => Volatile.Read(ref _writeErrors);

    /// <summary>Entries waiting for the writer.</summary>
    public long Pending => _queue?.Count ?? 0;

    internal int QueueCapacity => _queue?.Capacity ?? 0;

    /// <summary>Queues the entry for writing; false (and counted in <see cref="Dropped"/>) when the queue is full.</summary>
    public bool TryEnqueue(in AccessLogEntry entry)
    {
        if (_queue!.TryEnqueue(entry))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Takes one entry as the writer thread would; for benchmarks of a writer that is not started.</summary>
    internal bool TryDequeue(out AccessLogEntry entry) => _queue!.TryDequeue(out entry);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_queue is null || _thread is not null)
        {
            return Task.CompletedTask;
        }

        _sink ??= _services!.GetRequiredService<IAccessLogSink>();
        _thread = new Thread(Run) { IsBackground = true, Name = "Gatehouse access log" };
        _thread.Start();
        Log.Started(_logger, _sink is RollingFileSink file ? file.BasePath : _sink.GetType().Name, _queue.Capacity);
        return Task.CompletedTask;
    }

    /// <summary>Writes what is queued, flushes and closes the sink; gives up waiting when the host's stop token fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var thread = _thread;
        if (thread is null)
        {
            return;
        }

        _stopping.Set();
        while (thread.IsAlive && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        if (thread.IsAlive)
        {
            Log.StopTimedOut(_logger, Pending);
        }
    }

    private void Run()
    {
        while (true)
        {
            var stopping = _stopping.IsSet;
            var drained = DrainAndFlush();
            if (stopping)
            {
                break;
            }

            if (drained == 0)
            {
                _stopping.Wait(IdleWait);
            }
        }
    }

    /// <summary>
    /// Wall-clock UTC ticks of a <see cref="Stopwatch"/> timestamp: requests record only the monotonic timestamp
    /// (metrics already take it), and the writer maps it through a (wall clock, timestamp) pair it re-reads every
    /// second, so clock adjustments show up within a second and the request path reads no wall clock.
    /// </summary>
    internal long ToUtcTicks(long timestamp)
    {
        var now = Stopwatch.GetTimestamp();
        if (_clockBaseUtcTicks == 0 || now - _clockBaseTimestamp > Stopwatch.Frequency)
        {
            _clockBaseTimestamp = Stopwatch.GetTimestamp();
            _clockBaseUtcTicks = _time.GetUtcNow().UtcTicks;
        }

        var delta = timestamp - _clockBaseTimestamp;
        return _clockBaseUtcTicks + (long)(delta * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
    }

    /// <summary>Writes every queued entry, then flushes; returns how many were taken. One thread at a time.</summary>
    private int DrainAndFlush()
    {
        var sink = _sink!;
        var drained = 0;
        while (_queue!.TryDequeue(out var entry))
        {
            drained++;
            try
            {
                sink.Write(_formatter.Format(entry, ToUtcTicks(entry.StartTimestamp)));
                Interlocked.Increment(ref _written);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OnWriteError(ex);
            }
        }

        if (drained > 0)
        {
            try
            {
                sink.Flush();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OnWriteError(ex);
            }
        }

        return drained;
    }

    private void OnWriteError(Exception ex)
    {
        Interlocked.Increment(ref _writeErrors);
        var now = _time.GetUtcNow();
        if (now >= _nextErrorLog)
        {
            // Once a minute at most: a full disk would otherwise add a log line per request.
            _nextErrorLog = now + ErrorLogInterval;
            Log.WriteFailed(_logger, ex, WriteErrors);
        }
    }

    /// <summary>
    /// Stops the thread, writes what requests queued after the host's stop (the server drains requests after the
    /// writer has stopped), and closes the sink.
    /// </summary>
    public void Dispose()
    {
        // Registered both as itself and as a hosted service, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Set();
        if (_thread is { } thread)
        {
            if (!thread.Join(TimeSpan.FromSeconds(5)))
            {
                return; // A stuck sink keeps its thread (background: it does not hold the process open).
            }

            DrainAndFlush();
            _sink!.Dispose();
        }

        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Access log: writing to '{Path}', queue of {Capacity} entries.")]
        public static partial void Started(ILogger logger, string path, int capacity);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Access log: stopped before the queue was written ({Pending} entries lost).")]
        public static partial void StopTimedOut(ILogger logger, long pending);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Access log: writing failed ({Errors} lines lost so far).")]
        public static partial void WriteFailed(ILogger logger, Exception exception, long errors);
    }
}
