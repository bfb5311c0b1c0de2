namespace Gatehouse.ZooKeeper;

/// <summary>What happened to a watched node (the <c>type</c> of the jute <c>WatcherEvent</c>).</summary>
public enum WatchedEventType
{
    /// <summary>Not a node event: the watch ended because the session expired or the client closed.</summary>
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}

/// <summary>
/// A one-shot watch fired. Each watch fires exactly once: with the node event, or — when the session expired or the
/// client was closed before anything happened — with <see cref="WatchedEventType.None"/> and the matching
/// <see cref="State"/>, so a holder always learns that its watch is gone.
/// </summary>
/// <param name="Type">The node event, or None.</param>
/// <param name="State">Connected for node events; Expired or Closed for None.</param>
/// <param name="Path">The watched node's path (without chroot).</param>
public sealed record WatchedEvent(WatchedEventType Type, ZooKeeperState State, string Path);

/// <summary>Connection and session state of a <see cref="ZooKeeperClient"/>.</summary>
public enum ZooKeeperState
{
    /// <summary>No connection yet or again; requests wait for one (up to their timeout).</summary>
    Connecting,

    /// <summary>Connected to a server with a live session.</summary>
    Connected,

    /// <summary>The connection was lost; the client is reconnecting within the same session.</summary>
    Disconnected,

    /// <summary>The server said the session expired: its ephemeral nodes and watches are gone. A new session follows.</summary>
    Expired,

    /// <summary>Closed by the owner; final.</summary>
    Closed,
}

/// <summary>A state change of the client, delivered in order with watch events.</summary>
/// <param name="State">The new state.</param>
/// <param name="SessionId">The session the state is about (the expired one for Expired, the new one for a new session).</param>
/// <param name="IsNewSession">For Connected: this connection started a new session (first connect, or after expiry),
/// so ephemeral nodes and watches of an earlier session must be re-created by their owners.</param>
public sealed record ZooKeeperStateChange(ZooKeeperState State, long SessionId, bool IsNewSession);
