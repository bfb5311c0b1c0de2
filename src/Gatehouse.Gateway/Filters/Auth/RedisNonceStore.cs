using System.Globalization;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Redis;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Nonces shared by every gateway on the same Redis: one <c>SET gatehouse:nonce:{group}:{len}:{appKey}:{nonce} 1 NX
/// PX {ttl}</c> per signed request. Redis runs it atomically, so of two gateways seeing the same nonce at once
/// exactly one gets <c>OK</c> (fresh); the other gets nil (replay).
/// </summary>
/// <remarks>
/// <para>Every fresh nonce is also recorded in the node's <see cref="LocalNonceStore"/>, and a nonce is fresh only
/// when both agree. That costs one dictionary insert and buys two things: while Redis is down the local fallback
/// already knows the nonces this node saw before the outage, and after Redis is back a nonce first used here
/// during the outage (so known only locally) is still refused here.</para>
/// <para>Health is one flag read per request (<see cref="RedisAvailability"/>), as for the shared rate limits: a failed or timed-out SET clears it
/// (logged once) and that request is decided by the fallback; a background PING every probe interval sets it
/// again (logged once). While it is clear no request touches the network, so an outage costs no timeout per
/// request. The fallback is <see cref="NonceStoreFallback.Local"/> (the node's own store decides) or
/// <see cref="NonceStoreFallback.FailClosed"/> (503).</para>
/// <para>The appKey's length is part of the key because appKeys may contain ':': <c>a:b</c> + nonce <c>c</c> and
/// <c>a</c> + nonce <c>b:c</c> must not share a key.</para>
/// </remarks>
public sealed partial class RedisNonceStore : INonceStore, IAsyncDisposable
{
    private readonly IRedisClient _client;
    private readonly LocalNonceStore _local;
    private readonly NonceStoreFallback _fallback;
    private readonly string _keyPrefix;
    private readonly RedisAvailability _availability;

    /// <param name="client">The Redis client; shared with other users, so not disposed here.</param>
    /// <param name="group">The gateway group: apps are per group, so are their nonces.</param>
    /// <param name="local">This node's store: the fallback, and the memory that outlives an outage.</param>
    /// <param name="fallback">What decides while Redis is unavailable.</param>
    /// <param name="probeInterval">How often an unavailable Redis is pinged.</param>
    /// <param name="address">The Redis address, for messages.</param>
    /// <param name="logger">Where changes of availability are logged, once each.</param>
    public RedisNonceStore(IRedisClient client, string group, LocalNonceStore local, NonceStoreFallback fallback,
        TimeSpan probeInterval, string address, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(local);
        _client = client;
        _local = local;
        _fallback = fallback;
        _keyPrefix = $"gatehouse:nonce:{group}:";
        _availability = new RedisAvailability(client, probeInterval,
            error => Log.Unavailable(logger, address, error.Message, fallback),
            recovered => Log.Available(logger, address, recovered ? "recovered" : "connected"));
        _availability.Start();
    }

    /// <summary>True while nonces are shared through Redis; read per request, so a plain volatile read.</summary>
    public bool IsAvailable => _availability.IsAvailable;

    /// <summary>The Redis key of a nonce.</summary>
    public string Key(string appKey, string nonce) =>
        string.Concat(_keyPrefix, appKey.Length.ToString(CultureInfo.InvariantCulture), ":", appKey, ":", nonce);

    /// <inheritdoc/>
    public ValueTask<NonceUse> TryUseAsync(string appKey, string nonce, TimeSpan ttl) =>
        IsAvailable ? UseSharedAsync(appKey, nonce, ttl) : Fallback(appKey, nonce, ttl);

    public async ValueTask DisposeAsync()
    {
        await _availability.DisposeAsync();
        _local.Dispose();
    }

    private async ValueTask<NonceUse> UseSharedAsync(string appKey, string nonce, TimeSpan ttl)
    {
        bool fresh;
        try
        {
            fresh = await _client.SetIfNotExistsAsync(Key(appKey, nonce), "1", ttl);
        }
        catch (Exception ex)
        {
            // Down, slow or a wrong reply: this request and every one after it use the fallback until a probe
            // succeeds; only the first failure logs.
            _availability.ReportFailure(ex);
            return await Fallback(appKey, nonce, ttl);
        }

        if (!fresh)
        {
            return NonceUse.Replayed;
        }

        // Redis is the authority; the local store only adds what Redis cannot know (nonces seen here during an
        // outage). A full local store does not make a fresh nonce unavailable.
        return await _local.TryUseAsync(appKey, nonce, ttl) == NonceUse.Replayed ? NonceUse.Replayed : NonceUse.Fresh;
    }

    private ValueTask<NonceUse> Fallback(string appKey, string nonce, TimeSpan ttl) =>
        _fallback == NonceStoreFallback.FailClosed
            ? ValueTask.FromResult(NonceUse.Unavailable)
            : _local.TryUseAsync(appKey, nonce, ttl);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3551, Level = LogLevel.Warning, Message = "Shared nonce store unavailable (Redis at {Address}: {Reason}); signed requests use the fallback {Fallback} until Redis answers again")]
        public static partial void Unavailable(ILogger logger, string address, string reason, NonceStoreFallback fallback);

        [LoggerMessage(EventId = 3552, Level = LogLevel.Information, Message = "Shared nonce store active (Redis at {Address}, {How})")]
        public static partial void Available(ILogger logger, string address, string how);
    }
}
