namespace Gatehouse.Gateway.Resilience;

/// <summary>
/// Counters over a sliding window of time buckets, lock-free: a ring of buckets, each tagged with the time slot
/// (epoch) it counts; a write to a bucket holding an older slot first claims it for the current slot (one CAS)
/// and zeroes it. Sums skip buckets whose slot has left the window.
/// </summary>
/// <remarks>
/// Approximate by design, like every lock-free windowed counter: an increment racing with the zeroing of its
/// bucket at a slot boundary can be lost, and the window moves in bucket steps (a tenth of the window with
/// <see cref="DefaultBuckets"/>). A breaker or a retry budget tolerates both; a lock per request would not be
/// worth exactness.
/// </remarks>
internal sealed class TimeBuckets
{
    public const int DefaultBuckets = 10;

    private const long Unused = long.MinValue;

    private readonly long _slotTicks;
    private readonly int _buckets;
    private readonly int _width;
    private readonly long[] _epochs;
    private readonly int[] _counters;

    /// <param name="window">Window length.</param>
    /// <param name="counters">Counters per bucket.</param>
    /// <param name="timestampFrequency">Units per second of the timestamps passed in (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    /// <param name="buckets">Buckets the window is divided into.</param>
    public TimeBuckets(TimeSpan window, int counters, long timestampFrequency, int buckets = DefaultBuckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(counters, 1);
        var windowUnits = (long)(window.TotalSeconds * timestampFrequency);
        _slotTicks = Math.Max(1, windowUnits / buckets);
        _buckets = buckets;
        _width = counters;
        _epochs = new long[buckets];
        _counters = new int[buckets * counters];
        Array.Fill(_epochs, Unused);
    }

    /// <summary>Adds <paramref name="delta"/> to <paramref name="counter"/> in the bucket of <paramref name="timestamp"/>.</summary>
    public void Add(long timestamp, int counter, int delta = 1)
    {
        var epoch = timestamp / _slotTicks;
        var index = (int)(epoch % _buckets);
        var seen = Volatile.Read(ref _epochs[index]);
        if (seen != epoch)
        {
            Claim(index, seen, epoch);
        }

        Interlocked.Add(ref _counters[index * _width + counter], delta);
    }

    /// <summary>Sum of <paramref name="counter"/> over the buckets inside the window ending at <paramref name="timestamp"/>.</summary>
    public int Sum(long timestamp, int counter)
    {
        var epoch = timestamp / _slotTicks;
        var oldest = epoch - _buckets;
        var sum = 0;
        for (var i = 0; i < _buckets; i++)
        {
            var slot = Volatile.Read(ref _epochs[i]);
            if (slot > oldest && slot <= epoch)
            {
                sum += Volatile.Read(ref _counters[i * _width + counter]);
            }
        }

        return sum;
    }

    /// <summary>Forgets everything counted so far (a breaker closing starts a fresh window).</summary>
    public void Clear()
    {
        for (var i = 0; i < _buckets; i++)
        {
            Volatile.Write(ref _epochs[i], Unused);
        }
    }

    private void Claim(int index, long seen, long epoch)
    {
        // Only a newer slot may take over a bucket; a timestamp from before the bucket's slot (a thread that read
        // the clock earlier and lost the race) is counted in the newer slot rather than wiping it.
        if (seen > epoch || Interlocked.CompareExchange(ref _epochs[index], epoch, seen) != seen)
        {
            return;
        }

        var start = index * _width;
        for (var k = 0; k < _width; k++)
        {
            Volatile.Write(ref _counters[start + k], 0);
        }
    }
}
