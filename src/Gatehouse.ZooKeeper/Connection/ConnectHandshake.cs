using Gatehouse.ZooKeeper.Wire;

namespace Gatehouse.ZooKeeper.Connection;

/// <summary>The jute <c>ConnectRequest</c>: the first frame on a connection (no request header).</summary>
internal readonly record struct ConnectRequest(long LastZxidSeen, int TimeoutMs, long SessionId, byte[] Password)
{
    public void Write(JuteWriter writer)
    {
        writer.WriteInt(0); // protocolVersion
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeoutMs);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Password);
        writer.WriteBool(false); // readOnly: this client never accepts a read-only server
    }
}

/// <summary>
/// The jute <c>ConnectResponse</c>. A timeout of 0 means the presented session is expired (or its password wrong);
/// the server closes the connection after sending it.
/// </summary>
internal readonly record struct ConnectResponse(int TimeoutMs, long SessionId, byte[] Password)
{
    public bool IsExpired => TimeoutMs <= 0;

    public static ConnectResponse Read(ref JuteReader reader)
    {
        reader.ReadInt(); // protocolVersion
        var timeout = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var password = reader.ReadBuffer();

        // readOnly follows from 3.4 on; older servers omit it.
        return new ConnectResponse(timeout, sessionId, password);
    }
}

/// <summary>What a connection reports to its owner while it runs.</summary>
internal interface IConnectionHandler
{
    /// <summary>The zxid of an ordinary reply (the latest state the client has seen), presented again on reconnect.</summary>
    void OnZxid(long zxid);

    /// <summary>A watch notification (xid -1) with the server-side path.</summary>
    void OnNotification(WatchedEventType type, string serverPath);
}
