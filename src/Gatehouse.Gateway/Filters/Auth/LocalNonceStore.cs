using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// In-process <see cref="INonceStore"/>: a concurrent dictionary of (app, nonce) → expiry, swept of expired
/// entries periodically and whenever it reaches its capacity.
/// </summary>
/// <remarks>
/// No lock per request (ConcurrentDictionary's striped locks only). When full after a sweep it refuses new nonces
/// (<see cref="NonceUse.Unavailable"/>, fails closed): accepting them unrecorded would open a replay window, and a
/// flood that fills it has to be signed with a valid secret first, since nonces are only recorded after the
/// signature checked out.
/// </remarks>
public sealed class LocalNonceStore : INonceStore, IDisposable
{
    public const int DefaultCapacity = 1_000_000;

    private readonly ConcurrentDictionary<NonceKey, long> _entries = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly ITimer _sweeper;
    private int _count;
    private int _sweeping;

    public LocalNonceStore(TimeProvider time, int capacity = DefaultCapacity, TimeSpan? sweepInterval = null)
    {
        _time = time;
        _capacity = capacity;
        var interval = sweepInterval ?? TimeSpan.FromSeconds(30);
        _sweeper = time.CreateTimer(static s => ((LocalNonceStore)s!).Sweep(), this, interval, interval);
    }

    /// <summary>Entries currently held, expired ones not yet swept included.</summary>
    public int Count => Volatile.Read(ref _count);

    public ValueTask<NonceUse> TryUseAsync(string appKey, string nonce, TimeSpan ttl)
    {
        var now = _time.GetTimestamp();
        var expiry = now + (long)(ttl.TotalSeconds * _time.TimestampFrequency);
        var key = new NonceKey(appKey, nonce);
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing > now)
                {
                    return ValueTask.FromResult(NonceUse.Replayed);
                }

                // Expired but not swept yet: take it over, unless another request just did.
                if (_entries.TryUpdate(key, expiry, existing))
                {
                    return ValueTask.FromResult(NonceUse.Fresh);
                }

                continue;
            }

            if (Volatile.Read(ref _count) >= _capacity && (Sweep() == 0 || Volatile.Read(ref _count) >= _capacity))
            {
                return ValueTask.FromResult(NonceUse.Unavailable);
            }

            if (_entries.TryAdd(key, expiry))
            {
                Interlocked.Increment(ref _count);
                return ValueTask.FromResult(NonceUse.Fresh);
            }
        }
    }

    /// <summary>Removes expired entries; returns how many. Concurrent calls do nothing while one runs.</summary>
    public int Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return 0;
        }

        try
        {
            var now = _time.GetTimestamp();
            var removed = 0;
            foreach (var (key, expiry) in _entries)
            {
                // Removes only the pair seen: an entry renewed meanwhile stays.
                if (expiry <= now && _entries.TryRemove(new KeyValuePair<NonceKey, long>(key, expiry)))
                {
                    Interlocked.Decrement(ref _count);
                    removed++;
                }
            }

            return removed;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private readonly record struct NonceKey(string AppKey, string Nonce);
}
