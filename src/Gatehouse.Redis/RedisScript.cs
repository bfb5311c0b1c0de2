using StackExchange.Redis;

namespace Gatehouse.Redis;

/// <summary>
/// A Lua script the gateway runs in Redis. The client sends <c>EVALSHA</c> once the script is loaded on a server
/// (<see cref="IRedisClient.LoadScriptsAsync"/>) and falls back to <c>EVAL</c> when the server answers
/// <c>NOSCRIPT</c> (its script cache was flushed or it restarted).
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Source = source;
    }

    public string Source { get; }
}

/// <summary>
/// The integer arguments of a script call, converted once when a limit is compiled rather than per request.
/// </summary>
public sealed class RedisScriptArgs
{
    public RedisScriptArgs(params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = new RedisValue[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            Values[i] = values[i];
        }
    }

    internal RedisValue[] Values { get; }
}
