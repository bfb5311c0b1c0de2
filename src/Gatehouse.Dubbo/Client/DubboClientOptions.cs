namespace Gatehouse.Dubbo.Client;

/// <summary>Settings of the connections to Dubbo providers.</summary>
public sealed record DubboClientOptions
{
    /// <summary>Longest wait for a TCP connection to a provider. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A heartbeat is sent when nothing was read for this long; after three intervals of silence the connection is
    /// closed (and re-opened by the next call). Dubbo's default is 60 s.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(60);
}
