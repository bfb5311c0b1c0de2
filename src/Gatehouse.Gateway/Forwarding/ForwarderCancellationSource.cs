using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// The one cancellation source of a forwarded exchange: linked to <c>HttpContext.RequestAborted</c>, canceled by
/// the forwarder itself when one direction fails, or by an activity timeout that every read and write restarts.
/// Records why it was canceled so timeouts and client aborts map to different errors. Pooled, since every
/// request needs one.
/// </summary>
internal sealed class ForwarderCancellationSource : CancellationTokenSource
{
    // Same cap as YARP's ActivityCancellationTokenSource: enough for the concurrency of one gateway process
    // without holding memory after a burst.
    private const int MaxPooled = 1024;

    private const int NotCanceled = 0;
    private const int ByClient = 1;
    private const int ByForwarder = 2;
    private const int ByDeadline = 3;

    private static readonly ConcurrentQueue<ForwarderCancellationSource> s_pool = new();
    private static int s_pooled;

    private static readonly Action<object?> s_onClientAborted = static state =>
    {
        var source = (ForwarderCancellationSource)state!;
        Interlocked.CompareExchange(ref source._canceledBy, ByClient, NotCanceled);
        source.Cancel();
    };

    private static readonly Action<object?> s_onDeadline = static state =>
    {
        var source = (ForwarderCancellationSource)state!;
        Interlocked.CompareExchange(ref source._canceledBy, ByDeadline, NotCanceled);
        source.Cancel();
    };

    private CancellationTokenRegistration _clientRegistration;
    private CancellationTokenRegistration _deadlineRegistration;
    private TimeSpan _activityTimeout = Timeout.InfiniteTimeSpan;
    private int _canceledBy;

    /// <summary>True when the client aborted the request.</summary>
    public bool CanceledByClient => Volatile.Read(ref _canceledBy) == ByClient;

    /// <summary>True when the forwarder canceled the exchange (the other direction failed or finished).</summary>
    public bool CanceledByForwarder => Volatile.Read(ref _canceledBy) == ByForwarder;

    /// <summary>True when the whole-request deadline passed (before the client aborted or the forwarder canceled).</summary>
    public bool DeadlineExceeded => Volatile.Read(ref _canceledBy) == ByDeadline;

    /// <summary>True when the activity timeout fired: canceled, but neither by the client nor by the forwarder.</summary>
    public bool TimedOut => IsCancellationRequested && Volatile.Read(ref _canceledBy) == NotCanceled;

    /// <summary>
    /// Takes a source from the pool, linked to <paramref name="clientAborted"/> and to the whole-request
    /// <paramref name="deadline"/> (none by default).
    /// </summary>
    public static ForwarderCancellationSource Rent(CancellationToken clientAborted, CancellationToken deadline = default)
    {
        if (s_pool.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            source = new ForwarderCancellationSource();
        }

        // UnsafeRegister: nothing in the callback needs the caller's ExecutionContext.
        source._clientRegistration = clientAborted.UnsafeRegister(s_onClientAborted, source);
        if (deadline.CanBeCanceled)
        {
            source._deadlineRegistration = deadline.UnsafeRegister(s_onDeadline, source);
        }

        return source;
    }

    /// <summary>
    /// Sets the activity timeout and starts it. Zero or infinite disables it; values beyond what a timer can
    /// represent are clamped.
    /// </summary>
    public void SetActivityTimeout(TimeSpan timeout)
    {
        _activityTimeout = Normalize(timeout);
        ResetTimeout();
    }

    /// <summary>Restarts the activity timeout; called on every read and write that made progress.</summary>
    public void ResetTimeout()
    {
        if (_activityTimeout != Timeout.InfiniteTimeSpan)
        {
            CancelAfter(_activityTimeout);
        }
    }

    /// <summary>Cancels on behalf of the forwarder, remembering that this was not a timeout.</summary>
    public void CancelByForwarder()
    {
        // Keep the first reason: a timeout or client abort that already canceled the source must stay visible.
        if (!IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _canceledBy, ByForwarder, NotCanceled);
        }

        Cancel();
    }

    /// <summary>Unlinks from the request and returns the source to the pool when it can be reused.</summary>
    public void Return()
    {
        // Dispose waits for a running client-abort callback, so no callback can touch a recycled source.
        _clientRegistration.Dispose();
        _clientRegistration = default;
        _deadlineRegistration.Dispose();
        _deadlineRegistration = default;
        _activityTimeout = Timeout.InfiniteTimeSpan;

        // TryReset fails once canceled or once the timer has fired; those sources are not reused.
        if (TryReset())
        {
            Volatile.Write(ref _canceledBy, NotCanceled);
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                s_pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref s_pooled);
        }

        Dispose();
    }

    private static TimeSpan Normalize(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return Timeout.InfiniteTimeSpan;
        }

        // CancelAfter accepts at most uint.MaxValue - 1 milliseconds (about 49 days).
        var max = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        Debug.Assert(max > TimeSpan.FromDays(40));
        return timeout > max ? max : timeout;
    }
}
