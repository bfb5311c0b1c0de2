using Gatehouse.Core.Config;
using Gatehouse.Redis;

namespace Gatehouse.Gateway.Filters.RateLimiting.Distributed;

/// <summary>
/// A limit shared by every gateway of the group: each request is one EVALSHA (pipelined with every other
/// request's on the pooled connections) of a script that decides atomically in Redis. While the shared store
/// is unavailable (<see cref="RedisRateLimitBackend.IsAvailable"/>) the configured fallback decides without
/// touching the network, so an outage costs no timeout per request.
/// </summary>
/// <remarks>
/// Keys are <c>gatehouse:rl:{{level}:{id}:{key}}</c>: level <c>global</c> (id: the gateway group), <c>service</c>
/// (id: service name) or <c>api</c> (id: service/api); the key part is empty for a level's shared counter. The
/// braces are a Redis Cluster hash tag: the sliding window's per-window counters (<c>KEY:index</c>, derived in
/// the script) share the slot of the key the script was called with, so the script runs on one node.
/// </remarks>
internal sealed class RedisRateLimiter : IRateLimiter
{
    private const long MicrosPerSecond = 1_000_000;

    private readonly RedisRateLimitBackend _backend;
    private readonly string _keyPrefix;
    private readonly RedisScript _script;
    private readonly RedisScriptArgs _args;
    private readonly KeyedRateLimiter _local;
    private readonly long _frequency;

    public RedisRateLimiter(string scope, RateLimitConfig config, RedisRateLimitBackend backend, TimeProvider time)
    {
        Config = config;
        _backend = backend;
        _frequency = time.TimestampFrequency;
        _keyPrefix = KeyPrefix(scope, backend.Group);
        var windowMicros = Math.Max(1, (long)config.WindowMs * 1000);
        if (config.Algorithm == RateLimitAlgorithm.SlidingWindow)
        {
            _script = RedisRateLimitScripts.SlidingWindow;
            _args = new RedisScriptArgs(windowMicros, config.Limit);
        }
        else
        {
            var interval = Math.Max(1, windowMicros / config.Limit);
            _script = RedisRateLimitScripts.TokenBucket;
            _args = new RedisScriptArgs(interval, interval * (config.Burst ?? config.Limit));
        }

        _local = new KeyedRateLimiter(LocalShare(config, backend.GatewayCount), time);
        backend.EnsureStarted();
    }

    public RateLimitConfig Config { get; }

    public long TimestampFrequency => _frequency;

    /// <summary>The limiter used by the <c>local</c> fallback: this gateway's share of the limit.</summary>
    internal KeyedRateLimiter LocalFallback => _local;

    public ValueTask<RateLimitDecision> AcquireAsync(ReadOnlySpan<char> key)
    {
        if (!_backend.IsAvailable)
        {
            return new(Fallback(key));
        }

        // The key must outlive the span: the one string this path allocates besides the command itself.
        return AcquireSharedAsync(string.Concat(_keyPrefix, key, "}"));
    }

    public int Sweep() => _local.Sweep();

    /// <summary>
    /// The limit split evenly over the gateways, rounded up (so a lone gateway in a group of N still admits its
    /// full share, and the group together at most N − 1 above the limit).
    /// </summary>
    internal static RateLimitConfig LocalShare(RateLimitConfig config, int gatewayCount)
    {
        var n = Math.Max(1, gatewayCount);
        static int Share(int value, int n) => Math.Max(1, (int)Math.Ceiling((double)value / n));
        return config with
        {
            Store = RateLimitStore.Local,
            Limit = Share(config.Limit, n),
            Burst = config.Burst is { } burst ? Share(burst, n) : null,
        };
    }

    internal static string KeyPrefix(string scope, string group)
    {
        // Scopes are "global", "service:NAME" and "api:SERVICE/ID" (see SnapshotCompiler).
        var colon = scope.IndexOf(':');
        return colon < 0
            ? $"gatehouse:rl:{{{scope}:{group}:"
            : $"gatehouse:rl:{{{scope[..colon]}:{scope[(colon + 1)..]}:";
    }

    private async ValueTask<RateLimitDecision> AcquireSharedAsync(string key)
    {
        try
        {
            var reply = await _backend.Client!.EvalAsync(_script, key, _args);
            if (reply.Length != 3)
            {
                throw new InvalidDataException($"Rate limit script answered {reply.Length} values, not {{allowed, remaining, wait}}");
            }

            var wait = reply[2];
            return new RateLimitDecision(reply[0] == 1, reply[1],
                wait <= 0 ? 0 : (long)((double)wait * _frequency / MicrosPerSecond));
        }
        catch (Exception ex)
        {
            // Whatever went wrong with the shared store (down, slow, wrong reply), the request is decided by the
            // fallback and never fails. The first failure switches every shared limiter to its fallback (logged
            // once); requests already in flight end here too.
            _backend.ReportFailure(ex);
            return Fallback(key.AsSpan(_keyPrefix.Length, key.Length - _keyPrefix.Length - 1));
        }
    }

    private RateLimitDecision Fallback(ReadOnlySpan<char> key) => Config.Fallback switch
    {
        RateLimitFallback.FailOpen => new RateLimitDecision(true, 0, 0),
        RateLimitFallback.FailClosed => new RateLimitDecision(false, 0, _frequency, Unavailable: true),
        _ => _local.TryAcquire(key),
    };
}
