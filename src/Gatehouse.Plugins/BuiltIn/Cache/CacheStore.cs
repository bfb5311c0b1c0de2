using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>One stored response: what a hit answers with, and the request header values its <c>Vary</c> names.</summary>
internal sealed record CachedResponse(
    int Status,
    KeyValuePair<string, string>[] Headers,
    ReadOnlyMemory<byte> Body,
    string[] VaryNames,
    string?[] VaryValues,
    bool SharedWithAuthorization,
    DateTimeOffset StoredAt,
    DateTimeOffset Expires)
{
    /// <summary>What the entry costs against the store's size bound: the body plus an estimate of the rest.</summary>
    public long Size
    {
        get
        {
            long size = Body.Length + 256;
            foreach (var (name, value) in Headers)
            {
                size += 2 * (name.Length + value.Length) + 32;
            }

            return size;
        }
    }
}

/// <summary>
/// The responses of one cache configuration: Microsoft.Extensions.Caching.Memory bounded by total size (it evicts
/// expired entries first, then the least recently used), plus the misses in flight, so concurrent requests for the
/// same missing key wait for the first one's response instead of all going to the node (stampede protection).
/// </summary>
/// <remarks>
/// A key holds the variants stored under it, one per set of request values of the response's <c>Vary</c> headers; a
/// new variant replaces the key's list atomically (a copy with the new variant), so readers never lock.
/// </remarks>
internal sealed class CacheStore : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inFlight = new(StringComparer.Ordinal);

    public CacheStore(long maxBytes)
    {
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxBytes, CompactionPercentage = 0.25, TrackStatistics = true });
    }

    /// <summary>Bytes currently held, as counted against the bound.</summary>
    public long Bytes => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>The variants stored under <paramref name="key"/>, or null.</summary>
    public CachedResponse[]? Get(string key) => _cache.TryGetValue(key, out CachedResponse[]? variants) ? variants : null;

    /// <summary>Stores <paramref name="response"/>, replacing a variant with the same Vary values and dropping expired ones.</summary>
    public void Put(string key, CachedResponse response, DateTimeOffset now)
    {
        var kept = new List<CachedResponse>(2) { response };
        foreach (var existing in Get(key) ?? [])
        {
            if (existing.Expires > now && !SameVariant(existing, response))
            {
                kept.Add(existing);
            }
        }

        long size = 0;
        var latest = now;
        foreach (var variant in kept)
        {
            size += variant.Size;
            latest = variant.Expires > latest ? variant.Expires : latest;
        }

        _cache.Set(key, kept.ToArray(), new MemoryCacheEntryOptions { Size = size, AbsoluteExpiration = latest });
    }

    /// <summary>
    /// Becomes the one request that fetches <paramref name="key"/> (true, <paramref name="fetch"/> to complete when
    /// done), or learns of the request already fetching it (false, <paramref name="fetch"/> to wait for).
    /// </summary>
    public bool TryLead(string key, out TaskCompletionSource fetch)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fetch = _inFlight.GetOrAdd(key, mine);
        return ReferenceEquals(fetch, mine);
    }

    /// <summary>Ends a fetch: waiting requests look again.</summary>
    public void EndLead(string key, TaskCompletionSource fetch)
    {
        _inFlight.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key, fetch));
        fetch.TrySetResult();
    }

    public void Dispose() => _cache.Dispose();

    private static bool SameVariant(CachedResponse a, CachedResponse b)
    {
        if (a.VaryNames.Length != b.VaryNames.Length)
        {
            return false;
        }

        for (var i = 0; i < a.VaryNames.Length; i++)
        {
            if (!string.Equals(a.VaryNames[i], b.VaryNames[i], StringComparison.OrdinalIgnoreCase)
                || !string.Equals(a.VaryValues[i], b.VaryValues[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
