using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.ZooKeeper;

/// <summary>Settings of a <see cref="ZooKeeperClient"/>.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>Servers and optional chroot: <c>host1:port1,host2:port2[/chroot]</c>.</summary>
    public string ConnectString { get; set; } = "127.0.0.1:2181";

    /// <summary>
    /// Try the servers of <see cref="ConnectString"/> in an order shuffled once per client (default), as ZooKeeper's own
    /// client does, so many clients with the same connect string spread over the ensemble instead of all landing on
    /// the first server. False keeps the connect string's order (the first live server gets every client).
    /// </summary>
    public bool ShuffleServers { get; set; } = true;

    /// <summary>
    /// Requested session timeout. The server clamps it to [2, 20] × its tickTime by default; the negotiated value is
    /// <see cref="ZooKeeperClient.SessionTimeout"/>.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one TCP connect plus handshake to one server may take before the next server is tried.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a request waits for its reply, including any time spent waiting for a connection. On expiry the call
    /// throws <see cref="ZooKeeperTimeoutException"/>.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest pause between reconnect attempts (attempts start immediately, then back off up to this).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Resume this session instead of starting a new one (with <see cref="SessionPassword"/>). 0 starts a new session.
    /// Used to hand a session over between processes, and by tests to force an expiry the standard way (a second
    /// client on the same session closes it).
    /// </summary>
    public long SessionId { get; set; }

    /// <summary>The password of <see cref="SessionId"/>, as given by <see cref="ZooKeeperClient.SessionPassword"/>.</summary>
    public byte[]? SessionPassword { get; set; }

    /// <summary>Where connection and session changes are logged.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;
}
