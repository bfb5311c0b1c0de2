namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// Samples <see cref="GC.GetTotalMemory(bool)"/> on a background loop and keeps the peak above a baseline taken
/// after a full collection.
/// </summary>
internal sealed class ManagedMemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long _baseline;
    private long _peak;

    public ManagedMemorySampler()
    {
        _baseline = GC.GetTotalMemory(forceFullCollection: true);
        _peak = _baseline;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(5, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Highest sampled managed heap size minus the baseline.</summary>
    public long PeakGrowth
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak) - _baseline;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }

    private void Sample()
    {
        var now = GC.GetTotalMemory(forceFullCollection: false);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }
    }
}
