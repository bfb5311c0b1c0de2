using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// The signing keys of one issuer, fetched from its JWKS URI and kept across config reloads. Lookups of a known
/// <c>kid</c> read an immutable dictionary (no lock, no allocation). The set is refetched in the background once
/// it is older than the refresh interval, and on demand when a token names an unknown <c>kid</c> (key rotation),
/// at most once per <see cref="UnknownKidRefetchInterval"/> so a stream of made-up kids cannot hammer the issuer.
/// </summary>
/// <remarks>
/// Only asymmetric keys (<c>kty</c> RSA or EC, <c>use</c> absent or <c>sig</c>) are taken from the set: a symmetric
/// (<c>oct</c>) key published by mistake can never verify a token. A failed fetch keeps the previous keys.
/// </remarks>
internal sealed partial class JwksCache
{
    public static readonly TimeSpan UnknownKidRefetchInterval = TimeSpan.FromSeconds(30);

    /// <summary>While no key set was ever loaded (issuer down), requests retry the fetch at most this often.</summary>
    public static readonly TimeSpan FirstLoadRetryInterval = TimeSpan.FromSeconds(2);

    private readonly Uri _uri;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private volatile KeySet? _keys;
    private Task? _inflight;
    private long _lastUnknownKidFetch = long.MinValue;
    private long _lastFetchStart = long.MinValue;
    private long _refreshTicks;

    public JwksCache(Uri uri, HttpClient http, TimeProvider time, ILogger logger, TimeSpan refresh)
    {
        _uri = uri;
        _http = http;
        _time = time;
        _logger = logger;
        RefreshInterval = refresh;
    }

    /// <summary>Age after which the set is refetched in the background; the newest config sets it.</summary>
    public TimeSpan RefreshInterval
    {
        get => TimeSpan.FromSeconds((double)Volatile.Read(ref _refreshTicks) / _time.TimestampFrequency);
        set => Volatile.Write(ref _refreshTicks, (long)(value.TotalSeconds * _time.TimestampFrequency));
    }

    /// <summary>How many fetches were started (tests and diagnostics).</summary>
    public int Fetches { get; private set; }

    /// <summary>Starts the first fetch without waiting (called when a config that uses the issuer is compiled).</summary>
    public void Prefetch()
    {
        if (_keys is null)
        {
            _ = StartFetch();
        }
    }

    /// <summary>The key for <paramref name="kid"/> (or the only key when the token has no kid), fetching when needed.</summary>
    public ValueTask<SecurityKey?> GetKeyAsync(string? kid)
    {
        var keys = _keys;
        if (keys is not null)
        {
            if (_time.GetTimestamp() - keys.FetchedAt > Volatile.Read(ref _refreshTicks))
            {
                _ = StartFetch();
            }

            if (keys.Find(kid) is { } key)
            {
                return ValueTask.FromResult<SecurityKey?>(key);
            }
        }

        return FetchThenFindAsync(kid, keys is null);
    }

    /// <summary>Keys for the token handler's resolver: the one for <paramref name="kid"/>, or none.</summary>
    public IEnumerable<SecurityKey> Resolve(string? kid) => _keys?.Find(kid) is { } key ? [key] : [];

    /// <summary>
    /// The slow path. <paramref name="firstLoad"/> says the caller saw no key set; one may have arrived since (the
    /// prefetch finishing between the caller's read and this call), so it is read again before anything is refused.
    /// </summary>
    internal async ValueTask<SecurityKey?> FetchThenFindAsync(string? kid, bool firstLoad)
    {
        if (firstLoad)
        {
            lock (_gate)
            {
                if (_keys is { } arrived)
                {
                    if (arrived.Find(kid) is { } key)
                    {
                        return key;
                    }

                    firstLoad = false;
                }

                // A fetch that already failed recently is not repeated for every request while the issuer is down.
                else if (_inflight is { IsCompleted: true } && _lastFetchStart != long.MinValue
                    && _time.GetTimestamp() - _lastFetchStart < (long)(FirstLoadRetryInterval.TotalSeconds * _time.TimestampFrequency))
                {
                    return null;
                }
            }
        }

        if (!firstLoad)
        {
            lock (_gate)
            {
                var now = _time.GetTimestamp();
                if (_lastUnknownKidFetch != long.MinValue
                    && now - _lastUnknownKidFetch < (long)(UnknownKidRefetchInterval.TotalSeconds * _time.TimestampFrequency))
                {
                    return null;
                }

                _lastUnknownKidFetch = now;
            }
        }

        await StartFetch();
        return _keys?.Find(kid);
    }

    /// <summary>One fetch at a time: callers arriving meanwhile share it. Never faults.</summary>
    private Task StartFetch()
    {
        lock (_gate)
        {
            if (_inflight is { IsCompleted: false } running)
            {
                return running;
            }

            Fetches++;
            _lastFetchStart = _time.GetTimestamp();
            return _inflight = FetchAsync();
        }
    }

    private async Task FetchAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var json = await _http.GetStringAsync(_uri, timeout.Token).ConfigureAwait(false);
            var set = new JsonWebKeySet(json);
            var byKid = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
            var all = new List<SecurityKey>();
            foreach (var jwk in set.Keys)
            {
                if (jwk.Kty is not (JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve)
                    || (jwk.Use is { Length: > 0 } use && use != "sig"))
                {
                    continue;
                }

                SecurityKey key = JsonWebKeyConverter.TryConvertToSecurityKey(jwk, out var converted) ? converted : jwk;
                key.KeyId = jwk.Kid;
                all.Add(key);
                if (!string.IsNullOrEmpty(jwk.Kid))
                {
                    byKid[jwk.Kid] = key;
                }
            }

            _keys = new KeySet(byKid.ToFrozenDictionary(StringComparer.Ordinal), all.Count == 1 ? all[0] : null, _time.GetTimestamp());
            Log.Fetched(_logger, _uri, all.Count);
        }
        catch (Exception ex)
        {
            // Any failure (network, HTTP status, malformed set) keeps the keys we have; the fetch task never faults.
            Log.FetchFailed(_logger, _uri, ex.Message);
        }
    }

    private sealed class KeySet(FrozenDictionary<string, SecurityKey> byKid, SecurityKey? single, long fetchedAt)
    {
        public long FetchedAt { get; } = fetchedAt;

        public SecurityKey? Find(string? kid) => string.IsNullOrEmpty(kid) ? single : byKid.GetValueOrDefault(kid);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "JWKS {Uri} fetched: {KeyCount} signing keys")]
        public static partial void Fetched(ILogger logger, Uri uri, int keyCount);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "JWKS {Uri} could not be fetched; keeping the previous keys: {Reason}")]
        public static partial void FetchFailed(ILogger logger, Uri uri, string reason);
    }
}
