namespace Gatehouse.Redis;

/// <summary>
/// The commands Gatehouse sends to Redis: the seam between the gateway's shared rate limits and nonce store and
/// the client library under it. Every method fails at once while no connection is up, and after the command
/// timeout when the server does not answer; the gateway treats any exception as "Redis unavailable".
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>The configuration without secrets, for messages.</summary>
    string Address { get; }

    /// <summary>True while at least one server connection is up.</summary>
    bool IsConnected { get; }

    /// <summary>Raised when a connection to a server is lost or could not be made (reconnecting goes on).</summary>
    event Action<Exception>? ConnectionLost;

    /// <summary>Raised when a lost connection is back.</summary>
    event Action? ConnectionRestored;

    /// <summary>
    /// Connects (once; later calls wait for the same attempt) and keeps reconnecting in the background after.
    /// Throws when no server answered within the connect timeout; the client goes on trying.
    /// </summary>
    Task ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary><c>PING</c> to every connected primary: fails when none is connected or one does not answer.</summary>
    Task PingAsync();

    /// <summary><c>SET key value NX PX ttl</c>: true when the key was set, false when it existed.</summary>
    Task<bool> SetIfNotExistsAsync(string key, string value, TimeSpan ttl);

    /// <summary>
    /// Runs <paramref name="script"/> with one key (so a cluster routes it by that key's slot) and integer
    /// arguments, and returns its reply as integers.
    /// </summary>
    Task<long[]> EvalAsync(RedisScript script, string key, RedisScriptArgs args);

    /// <summary>Loads scripts into every connected primary, so later calls send their SHA1 instead of the text.</summary>
    Task LoadScriptsAsync(params RedisScript[] scripts);
}
