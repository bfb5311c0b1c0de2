namespace Gatehouse.Gateway.Engine;

/// <summary>Connection counts of one engine instance: what tests and operators read to see it carries traffic.</summary>
internal sealed class LoopEngineCounters
{
    private long _accepted;
    private long _open;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Open => Interlocked.Read(ref _open);

    public void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _open);
    }

    public void OnClosed() => Interlocked.Decrement(ref _open);
}
