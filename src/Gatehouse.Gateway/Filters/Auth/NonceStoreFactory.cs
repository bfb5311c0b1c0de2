using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>Picks the node's <see cref="INonceStore"/> from <see cref="GatewayNonceOptions"/>.</summary>
/// <remarks>
/// The Redis store uses the same client (and connection pool) as the shared rate limits, so a node keeps one set
/// of Redis connections whatever uses them. <c>auto</c> shares nonces whenever a Redis is configured: a group that
/// already runs Redis for its limits gets replay protection across nodes without another switch.
/// </remarks>
internal static partial class NonceStoreFactory
{
    /// <exception cref="InvalidOperationException"><c>Store</c> is <c>redis</c> but no usable Redis address is set.</exception>
    public static INonceStore Create(GatewayOptions options, RedisRateLimitBackend redis, TimeProvider time, ILogger logger)
    {
        var nonces = options.Nonces;
        var configured = !string.IsNullOrWhiteSpace(options.Redis.Address);
        var useRedis = nonces.Store switch
        {
            NonceStoreKind.Redis => true,
            NonceStoreKind.Local => false,
            _ => configured,
        };
        var local = new LocalNonceStore(time);
        if (!useRedis)
        {
            Log.Local(logger, nonces.Store);
            return local;
        }

        if (redis.Client is null)
        {
            var reason = configured
                ? $"{GatewayOptions.Section}:Redis:Address is not a valid Redis configuration"
                : $"{GatewayOptions.Section}:Redis:Address is not set";
            if (nonces.Store == NonceStoreKind.Redis)
            {
                local.Dispose();
                throw new InvalidOperationException($"{GatewayOptions.Section}:Nonces:Store is redis but {reason}.");
            }

            Log.NoUsableRedis(logger, reason);
            return local;
        }

        return new RedisNonceStore(redis.Client, options.Group, local, nonces.Fallback, nonces.RedisProbeInterval,
            redis.Client.Address, logger);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3553, Level = LogLevel.Information, Message = "Signature nonces are remembered per node (Nonces:Store {Store}); a replay sent to another gateway of the group is not detected")]
        public static partial void Local(ILogger logger, NonceStoreKind store);

        [LoggerMessage(EventId = 3554, Level = LogLevel.Error, Message = "Signature nonces are remembered per node: {Reason}")]
        public static partial void NoUsableRedis(ILogger logger, string reason);
    }
}
