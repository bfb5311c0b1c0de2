using System.Threading.Tasks.Sources;

namespace Gatehouse.Gateway.Engine;

/// <summary>
/// Readiness of one direction of an edge-triggered socket. The loop <see cref="Raise"/>s it on every edge; an
/// operation that found the socket not ready (EAGAIN) waits for an edge newer than the <see cref="Epoch"/> it read
/// before trying, so an edge that arrives between the attempt and the wait is never lost. The waiter's
/// continuation runs on the raising thread (normally the loop), where the socket's data is.
/// </summary>
internal sealed class LoopSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _epoch;
    private int _waiting;

    /// <summary>Read before an attempt; passed to <see cref="WaitAsync"/> when the attempt found EAGAIN.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>An edge (or a wake-up for an error, a cancellation or a close): completes the waiter, if any.</summary>
    public void Raise()
    {
        Interlocked.Increment(ref _epoch);
        if (Interlocked.CompareExchange(ref _waiting, 0, 1) == 1)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>Waits for an edge after <paramref name="epoch"/>; completes at once when one came since. One waiter at a time.</summary>
    public ValueTask WaitAsync(int epoch)
    {
        _core.Reset();

        // A full fence between publishing the waiter and re-reading the epoch: with a plain store the two could be
        // reordered against Raise's increment-then-check, and both sides would miss each other.
        Interlocked.Exchange(ref _waiting, 1);
        if (Volatile.Read(ref _epoch) != epoch && Interlocked.CompareExchange(ref _waiting, 0, 1) == 1)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
