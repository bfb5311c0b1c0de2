using Gatehouse.Gateway.Hosting;
using Gatehouse.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Filters.RateLimiting.Distributed;

/// <summary>
/// The gateway's connection to the shared rate-limit store and its health, one per process: a single flag that
/// every <see cref="RedisRateLimiter"/> reads per request. A failed or timed-out script call clears it (logged
/// once); a background probe (PING every <see cref="GatewayRateLimitOptions.RedisProbeInterval"/>) sets it again
/// (logged once). While it is clear, limits use their configured fallback without touching the network.
/// </summary>
/// <remarks>
/// Nothing connects until the first limit with <c>store: redis</c> is compiled, so a gateway without such
/// limits opens no connection. Without <c>Gatehouse:Gateway:Redis:Address</c> the flag stays clear for good and
/// one warning says so: the config remains valid and the fallback applies.
/// </remarks>
internal sealed partial class RedisRateLimitBackend : IAsyncDisposable
{
    /// <summary>No store: for compilers built without DI (tests); redis-backed limits use their fallback.</summary>
    public static readonly RedisRateLimitBackend None = new(null, "default", 1, TimeSpan.FromSeconds(1), NullLogger.Instance);

    private readonly ILogger _logger;
    private readonly RedisAvailability? _availability;
    private int _started;

    public RedisRateLimitBackend(IRedisClient? client, string group, int gatewayCount, TimeSpan probeInterval, ILogger logger)
    {
        Client = client;
        Group = group;
        GatewayCount = Math.Max(1, gatewayCount);
        _logger = logger;
        if (client is not null)
        {
            var address = client.Address;
            _availability = new RedisAvailability(client, probeInterval,
                error => Log.Unavailable(logger, address, error.Message, GatewayCount),
                recovered => Log.Available(logger, address, recovered ? "recovered" : "connected"),
                LoadScriptsAsync);
        }
    }

    /// <summary>Builds the store from the gateway's options; a bad address is logged and treated as none.</summary>
    public static RedisRateLimitBackend Create(IOptions<GatewayOptions> options, ILogger<RedisRateLimitBackend> logger)
    {
        var gateway = options.Value;
        RedisClient? client = null;
        if (!string.IsNullOrWhiteSpace(gateway.Redis.Address))
        {
            try
            {
                client = new RedisClient(gateway.Redis);
            }
            catch (FormatException ex)
            {
                Log.InvalidAddress(logger, ex.Message);
            }
        }

        return new RedisRateLimitBackend(client, gateway.Group, gateway.RateLimit.GatewayCount, gateway.RateLimit.RedisProbeInterval, logger);
    }

    /// <summary>The client, or null when no Redis is configured.</summary>
    public IRedisClient? Client { get; }

    public string Group { get; }

    /// <summary>Gateways sharing the limits; the <c>local</c> fallback gives each 1/N of a limit.</summary>
    public int GatewayCount { get; }

    /// <summary>True while shared limiting works; read per request, so a plain volatile read.</summary>
    public bool IsAvailable => _availability?.IsAvailable == true;

    /// <summary>Starts connecting and probing on the first redis-backed limit (off the request path). Idempotent.</summary>
    public void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        if (_availability is null)
        {
            Log.NotConfigured(_logger, GatewayCount);
            return;
        }

        _availability.Start();
    }

    /// <summary>A shared-limit call failed: switch every limiter to its fallback; only the first caller logs.</summary>
    public void ReportFailure(Exception error) => _availability?.ReportFailure(error);

    public async ValueTask DisposeAsync()
    {
        if (_availability is not null)
        {
            await _availability.DisposeAsync();
        }

        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
    }

    // Loading the scripts on a successful probe spares the first requests a NOSCRIPT round trip on a fresh server.
    private static Task LoadScriptsAsync(IRedisClient client) =>
        client.LoadScriptsAsync(RedisRateLimitScripts.TokenBucket, RedisRateLimitScripts.SlidingWindow);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Shared rate limiting unavailable (Redis at {Address}: {Reason}); limits with store redis use their fallback (local: 1/{GatewayCount} of the limit per gateway) until Redis answers again")]
        public static partial void Unavailable(ILogger logger, string address, string reason, int gatewayCount);

        [LoggerMessage(EventId = 3502, Level = LogLevel.Information, Message = "Shared rate limiting active (Redis at {Address}, {How})")]
        public static partial void Available(ILogger logger, string address, string how);

        [LoggerMessage(EventId = 3503, Level = LogLevel.Warning, Message = "The config has rate limits with store redis but Gatehouse:Gateway:Redis:Address is not set; they use their fallback (local: 1/{GatewayCount} of the limit per gateway)")]
        public static partial void NotConfigured(ILogger logger, int gatewayCount);

        [LoggerMessage(EventId = 3504, Level = LogLevel.Error, Message = "Gatehouse:Gateway:Redis:Address is invalid ({Reason}); limits with store redis use their fallback")]
        public static partial void InvalidAddress(ILogger logger, string reason);
    }
}
