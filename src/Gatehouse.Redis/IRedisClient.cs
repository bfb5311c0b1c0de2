using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis;

/// <summary>
/// The commands Gatehouse uses, over a pool of pipelined connections. Every method fails fast with
/// <see cref="RedisConnectionException"/> while no connection is up, with <see cref="RedisTimeoutException"/>
/// after the command timeout, and with <see cref="RedisServerException"/> on an error reply.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>True while at least one connection is ready.</summary>
    bool IsConnected { get; }

    /// <summary>Starts connecting (if not yet) and waits until one connection is ready.</summary>
    /// <exception cref="RedisConnectionException">None was ready within the connect timeout.</exception>
    Task ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Runs any command; an error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RespValue> ExecuteAsync(params RedisArg[] args);

    Task PingAsync();

    /// <summary>The value of <paramref name="key"/>, or null when it does not exist.</summary>
    Task<byte[]?> GetAsync(string key);

    /// <summary>SET with optional PX expiry and NX; false when NX found the key present.</summary>
    Task<bool> SetAsync(string key, RedisArg value, TimeSpan? expiry = null, bool onlyIfNotExists = false);

    /// <summary>Number of keys removed.</summary>
    Task<long> DeleteAsync(params string[] keys);

    Task<long> IncrementAsync(string key);

    /// <summary>False when the key does not exist.</summary>
    Task<bool> ExpireAsync(string key, TimeSpan expiry);

    /// <summary>EVALSHA, loading the script with SCRIPT LOAD and retrying once when the server answers NOSCRIPT.</summary>
    Task<RespValue> EvalAsync(RedisScript script, RedisArg[] keys, RedisArg[] args);
}
