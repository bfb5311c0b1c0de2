namespace Gatehouse.Redis;

/// <summary>No connection to the server: not connected yet, lost, or reconnecting. Raised at once, never after a wait.</summary>
public sealed class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server did not answer a command within the command timeout.</summary>
public sealed class RedisTimeoutException(string message) : Exception(message);

/// <summary>The server answered with an error reply (<c>-ERR ...</c>, <c>-NOSCRIPT ...</c>).</summary>
public sealed class RedisServerException(string message) : Exception(message)
{
    /// <summary>The script cache does not hold the SHA given to EVALSHA (after SCRIPT FLUSH or a server restart).</summary>
    public bool IsNoScript => Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}
