namespace Gatehouse.Gateway.Model;

/// <summary>
/// Health counters of a node. Written on the request path with single interlocked or volatile operations (no
/// locks); read by the health checker's loop.
/// </summary>
public sealed partial class NodeState
{
    // TimeProvider timestamps; 0 means never / not set.
    private long _lastSuccess;
    private long _ejectedAt;
    private long _warmingSince;
    private int _consecutiveFailures;
    private int _windowRequests;
    private int _windowFailures;
    private int _weightPercent = 100;

    /// <summary>Timestamp of the last successful attempt (real traffic); 0 when none yet.</summary>
    public long LastSuccess => Volatile.Read(ref _lastSuccess);

    /// <summary>Timestamp at which passive checks ejected the node; 0 when not ejected.</summary>
    public long EjectedAt => Volatile.Read(ref _ejectedAt);

    /// <summary>Failed attempts in a row since the last success.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Share of the node's weight in force, 10..100; below 100 only during slow start.</summary>
    public int WeightPercent => Volatile.Read(ref _weightPercent);

    /// <summary>Timestamp slow start began (node added or recovered); 0 when not warming.</summary>
    public long WarmingSince => Volatile.Read(ref _warmingSince);

    /// <summary>Attempts and failures of the current passive-check window.</summary>
    public (int Requests, int Failures) Window => (Volatile.Read(ref _windowRequests), Volatile.Read(ref _windowFailures));

    /// <summary>A successful attempt: the node answered. One volatile write, plus a reset of the failure run only when there was one.</summary>
    public void RecordSuccess(long timestamp, bool countWindow)
    {
        Volatile.Write(ref _lastSuccess, timestamp);
        if (Volatile.Read(ref _consecutiveFailures) != 0)
        {
            Volatile.Write(ref _consecutiveFailures, 0);
        }

        if (countWindow)
        {
            Interlocked.Increment(ref _windowRequests);
        }
    }

    /// <summary>A failed attempt; returns the failures in a row so far and updates the window.</summary>
    public int RecordFailure(bool countWindow)
    {
        if (countWindow)
        {
            Interlocked.Increment(ref _windowRequests);
            Interlocked.Increment(ref _windowFailures);
        }

        return Interlocked.Increment(ref _consecutiveFailures);
    }

    /// <summary>Starts a new passive-check window (the health checker's loop, every window length).</summary>
    public void ResetWindow()
    {
        Interlocked.Exchange(ref _windowRequests, 0);
        Interlocked.Exchange(ref _windowFailures, 0);
    }

    /// <summary>Marks the node ejected; true for exactly one caller when several see the rule trip at once.</summary>
    public bool TryEject(long timestamp) => Interlocked.CompareExchange(ref _ejectedAt, timestamp, 0) == 0;

    /// <summary>Ends an ejection (the node was probed back in) and clears the failure counters.</summary>
    public void ClearEjection()
    {
        Volatile.Write(ref _ejectedAt, 0);
        Volatile.Write(ref _consecutiveFailures, 0);
        ResetWindow();
    }

    /// <summary>Slow start: begins (percent below 100, since <paramref name="since"/>), advances or ends (100, 0).</summary>
    public void SetWarming(int percent, long since)
    {
        Volatile.Write(ref _warmingSince, since);
        Volatile.Write(ref _weightPercent, Math.Clamp(percent, 1, 100));
    }
}
