namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Wakes the admin sync loop to pull now (a signed push arrived). Signals coalesce: however many pushes arrive
/// while a pull is pending, one pull covers them, because every pull asks for everything since the node's version.
/// </summary>
internal sealed class ConfigPullSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Asks for a pull as soon as possible.</summary>
    public void Request()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pull is already pending; it will see this change too.
        }
    }

    /// <summary>Waits for a request or the timeout; true when a pull was requested.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ms = Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue - 1);
        return _signal.WaitAsync(TimeSpan.FromMilliseconds(ms), cancellationToken);
    }
}
