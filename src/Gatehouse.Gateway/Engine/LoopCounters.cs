namespace Gatehouse.Gateway.Engine;

/// <summary>
/// Connection counts of one kind of socket the loops carry (client connections accepted, node connections opened):
/// what tests and operators read to see the engine carries traffic.
/// </summary>
internal sealed class LoopCounters
{
    private long _opened;
    private long _open;

    public long Opened => Interlocked.Read(ref _opened);

    public long Open => Interlocked.Read(ref _open);

    public void OnOpened()
    {
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _open);
    }

    public void OnClosed() => Interlocked.Decrement(ref _open);
}
