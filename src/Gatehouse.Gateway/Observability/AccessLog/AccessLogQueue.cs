using System.Runtime.InteropServices;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// A bounded queue of many producers (requests) and one consumer (the writer thread) that never blocks or locks:
/// a full queue refuses the entry. Dmitry Vyukov's bounded MPMC queue: each slot carries a sequence number that
/// says whether it is free for the producer at a position or filled for the consumer.
/// </summary>
/// <remarks>
/// Not <c>System.Threading.Channels</c>: a bounded channel takes a lock on every write, and the request path takes
/// none. A producer costs one compare-and-swap on the enqueue position plus copying the entry into its slot.
/// </remarks>
internal sealed class AccessLogQueue<T>
{
    private readonly Slot[] _slots;
    private readonly int _mask;
    private PaddedLong _enqueuePosition;
    private long _dequeuePosition;

    /// <param name="capacity">Rounded up to a power of two.</param>
    public AccessLogQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 2));
        _slots = new Slot[size];
        for (var i = 0; i < size; i++)
        {
            _slots[i].Sequence = i;
        }

        _mask = size - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Entries waiting (approximate while producers are active).</summary>
    public long Count => Math.Max(0, Volatile.Read(ref _enqueuePosition.Value) - Volatile.Read(ref _dequeuePosition));

    /// <summary>Adds the entry, or returns false at once when the queue is full. Safe from any number of threads.</summary>
    public bool TryEnqueue(in T item)
    {
        var position = Volatile.Read(ref _enqueuePosition.Value);
        while (true)
        {
            ref var slot = ref _slots[position & _mask];
            var sequence = Volatile.Read(ref slot.Sequence);
            var difference = sequence - position;
            if (difference == 0)
            {
                // The slot is free for this position: claim the position, then fill and publish the slot.
                var seen = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                if (seen == position)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, position + 1);
                    return true;
                }

                position = seen;
            }
            else if (difference < 0)
            {
                // The slot still holds the entry from one lap ago: full.
                return false;
            }
            else
            {
                // Another producer took this position; try the current one.
                position = Volatile.Read(ref _enqueuePosition.Value);
            }
        }
    }

    /// <summary>Takes the oldest published entry. Only one thread (the writer) may call this.</summary>
    public bool TryDequeue(out T item)
    {
        var position = _dequeuePosition;
        ref var slot = ref _slots[position & _mask];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            // Empty, or the producer of this position has not published yet: either way, nothing to read now.
            item = default!;
            return false;
        }

        item = slot.Item;
        slot.Item = default!; // Drop the references (strings, addresses) so a quiet queue holds no garbage.
        Volatile.Write(ref slot.Sequence, position + _slots.Length);
        Volatile.Write(ref _dequeuePosition, position + 1);
        return true;
    }

    private struct Slot
    {
        public long Sequence;
        public T Item;
    }
}

/// <summary>
/// Keeps the producers' hot counter on its own cache line, away from the consumer's. Not nested in the generic
/// queue: a type nested in a generic type is generic, and generic types cannot have explicit layout.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}
