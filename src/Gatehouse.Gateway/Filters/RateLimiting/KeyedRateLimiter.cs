using System.Collections.Concurrent;
using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Filters.RateLimiting;

/// <summary>
/// One configured limit at one level (global, a service or an API), counted per key. Lock-free: a key's cell
/// is found in a concurrent dictionary (no allocation for a key already seen) and updated with one CAS.
/// </summary>
/// <remarks>
/// Idle cells are swept off the request path (<see cref="Sweep"/>), and the number of distinct keys is capped:
/// past <see cref="MaxKeys"/> new keys share one overflow cell, so a flood of random keys cannot grow memory
/// without bound (those keys are then limited together, which errs on the side of protecting the upstream).
/// </remarks>
internal sealed class KeyedRateLimiter : IRateLimiter
{
    public const int MaxKeys = 100_000;

    private readonly ConcurrentDictionary<string, object> _cells = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object>.AlternateLookup<ReadOnlySpan<char>> _cellsBySpan;
    private readonly object _sharedCell;
    private readonly object _overflowCell;
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _tolerance;
    private readonly long _window;

    public KeyedRateLimiter(RateLimitConfig config, TimeProvider time)
    {
        Config = config;
        _time = time;
        _cellsBySpan = _cells.GetAlternateLookup<ReadOnlySpan<char>>();
        var frequency = time.TimestampFrequency;
        _window = Math.Max(1, (long)(config.WindowMs / 1000.0 * frequency));
        _interval = Math.Max(1, _window / config.Limit);
        var burst = config.Burst ?? config.Limit;
        _tolerance = (long)Math.Min((double)_interval * burst, long.MaxValue / 4);
        _sharedCell = NewCell();
        _overflowCell = NewCell();
    }

    public RateLimitConfig Config { get; }

    public long TimestampFrequency => _time.TimestampFrequency;

    /// <inheritdoc/>
    public ValueTask<RateLimitDecision> AcquireAsync(ReadOnlySpan<char> key) => new(TryAcquire(key));

    /// <summary>Counts one request for <paramref name="key"/>; an empty key uses the shared counter.</summary>
    public RateLimitDecision TryAcquire(ReadOnlySpan<char> key)
    {
        var cell = key.IsEmpty ? _sharedCell : CellFor(key);
        var now = _time.GetTimestamp();
        return cell is GcraCell gcra
            ? gcra.TryAcquire(now, _interval, _tolerance)
            : ((SlidingWindowCell)cell).TryAcquire(now, _window, Config.Limit);
    }

    /// <summary>Forgets cells that hold no state any more; run periodically, off the request path.</summary>
    public int Sweep()
    {
        var now = _time.GetTimestamp();
        var removed = 0;
        foreach (var (key, cell) in _cells)
        {
            var idle = cell is GcraCell gcra ? gcra.IsIdle(now) : ((SlidingWindowCell)cell).IsIdle(now, _window);
            if (idle && _cells.TryRemove(key, out _))
            {
                removed++;
            }
        }

        return removed;
    }

    public int KeyCount => _cells.Count;

    private object CellFor(ReadOnlySpan<char> key)
    {
        if (_cellsBySpan.TryGetValue(key, out var cell))
        {
            return cell;
        }

        if (_cells.Count >= MaxKeys)
        {
            return _overflowCell;
        }

        // First request of this key: the only allocation (the key string and its cell).
        var created = NewCell();
        if (_cellsBySpan.TryAdd(key, created))
        {
            return created;
        }

        return _cellsBySpan.TryGetValue(key, out cell) ? cell : created;
    }

    private object NewCell() => Config.Algorithm == RateLimitAlgorithm.SlidingWindow ? new SlidingWindowCell() : new GcraCell();
}
