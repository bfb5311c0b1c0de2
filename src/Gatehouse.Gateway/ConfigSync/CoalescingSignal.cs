namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Wakes a background loop that re-reads everything it watches (a config file, a plugins directory, the admin's
/// versions). Signals coalesce: however many arrive while one is pending, one pass covers them, because each pass
/// looks at the whole current state rather than at the events.
/// </summary>
internal class CoalescingSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Asks for a pass as soon as possible; free when one is already pending.</summary>
    public void Request()
    {
        if (_signal.CurrentCount != 0)
        {
            return;
        }

        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another request won the race; the pending pass covers this one too.
        }
    }

    /// <summary>Waits for a request or the timeout; true when a pass was requested.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ms = Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue - 1);
        return _signal.WaitAsync(TimeSpan.FromMilliseconds(ms), cancellationToken);
    }
}
