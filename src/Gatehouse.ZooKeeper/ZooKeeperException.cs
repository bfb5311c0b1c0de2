namespace Gatehouse.ZooKeeper;

/// <summary>
/// A ZooKeeper request failed with a result code. Codes callers commonly branch on have their own subclass
/// (<see cref="NoNodeException"/>, <see cref="NodeExistsException"/>, ...); others use this type with <see cref="Code"/>.
/// </summary>
public class ZooKeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/> on <paramref name="path"/> (null when not about one node).</summary>
    public ZooKeeperException(ZooKeeperErrorCode code, string? path, string? message = null, Exception? inner = null)
        : base(message ?? Describe(code, path), inner)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The protocol result code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The node the request was about, as the caller named it (without chroot); null when not about one node.</summary>
    public string? Path { get; }

    /// <summary>The exception type for a result code.</summary>
    public static ZooKeeperException Create(ZooKeeperErrorCode code, string? path) => code switch
    {
        ZooKeeperErrorCode.NoNode => new NoNodeException(path),
        ZooKeeperErrorCode.NodeExists => new NodeExistsException(path),
        ZooKeeperErrorCode.BadVersion => new BadVersionException(path),
        ZooKeeperErrorCode.NotEmpty => new NotEmptyException(path),
        ZooKeeperErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path),
        ZooKeeperErrorCode.SessionExpired => new SessionExpiredException(path),
        ZooKeeperErrorCode.ConnectionLoss => new ConnectionLossException(path),
        _ => new ZooKeeperException(code, path),
    };

    private static string Describe(ZooKeeperErrorCode code, string? path) =>
        path is null ? $"ZooKeeper error {code} ({(int)code})." : $"ZooKeeper error {code} ({(int)code}) for '{path}'.";
}

/// <summary>The node does not exist (or, for create, its parent does not).</summary>
public sealed class NoNodeException(string? path) : ZooKeeperException(ZooKeeperErrorCode.NoNode, path);

/// <summary>Create was asked for a node that already exists.</summary>
public sealed class NodeExistsException(string? path) : ZooKeeperException(ZooKeeperErrorCode.NodeExists, path);

/// <summary>The expected version did not match the node's current version.</summary>
public sealed class BadVersionException(string? path) : ZooKeeperException(ZooKeeperErrorCode.BadVersion, path);

/// <summary>Delete of a node that still has children.</summary>
public sealed class NotEmptyException(string? path) : ZooKeeperException(ZooKeeperErrorCode.NotEmpty, path);

/// <summary>Create of a child under an ephemeral node (ephemeral nodes cannot have children).</summary>
public sealed class NoChildrenForEphemeralsException(string? path) : ZooKeeperException(ZooKeeperErrorCode.NoChildrenForEphemerals, path);

/// <summary>The session the request was issued on expired. The client starts a new session by itself.</summary>
public sealed class SessionExpiredException(string? path) : ZooKeeperException(ZooKeeperErrorCode.SessionExpired, path);

/// <summary>
/// The connection was lost before the reply arrived. The request may or may not have been applied: callers that
/// need to know check the node's state after the client has reconnected.
/// </summary>
public sealed class ConnectionLossException(string? path, Exception? inner = null)
    : ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, path, null, inner);

/// <summary>
/// No reply within the request timeout (<see cref="ZooKeeperClientOptions.RequestTimeout"/>). Like a connection
/// loss, the request may or may not have been applied.
/// </summary>
public sealed class ZooKeeperTimeoutException(string? path, TimeSpan timeout)
    : ZooKeeperException(ZooKeeperErrorCode.OperationTimeout, path, $"No ZooKeeper reply within {timeout.TotalSeconds:0.###} s for '{path}'.");

/// <summary>The server sent bytes that do not form the expected record; the connection is dropped.</summary>
public sealed class ZooKeeperProtocolException(string message) : Exception(message);
