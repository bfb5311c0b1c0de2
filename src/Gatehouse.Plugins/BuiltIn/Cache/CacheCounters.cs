using System.Collections.Concurrent;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>Lookups per service and API, kept by the factory so they outlive the snapshots that recreate the filters.</summary>
internal sealed class CacheCounters
{
    private readonly ConcurrentDictionary<(string Service, string Api), Cell> _cells = new();

    public Cell For(string service, string api) => _cells.TryGetValue((service, api), out var cell) ? cell : _cells.GetOrAdd((service, api), _ => new Cell());

    public IEnumerable<KeyValuePair<(string Service, string Api), Cell>> All => _cells;

    /// <summary>One API's counts; increments are lock-free.</summary>
    internal sealed class Cell
    {
        private long _hits;
        private long _misses;
        private long _bypasses;

        public long Hits => Volatile.Read(ref _hits);

        public long Misses => Volatile.Read(ref _misses);

        public long Bypasses => Volatile.Read(ref _bypasses);

        public void Hit() => Interlocked.Increment(ref _hits);

        /// <summary>A request that waited for another's fetch and was answered from it: a hit, counted back from the miss it was.</summary>
        public void CoalescedHit()
        {
            Interlocked.Increment(ref _hits);
            Interlocked.Decrement(ref _misses);
        }

        public void Miss() => Interlocked.Increment(ref _misses);

        public void Bypass() => Interlocked.Increment(ref _bypasses);
    }
}
