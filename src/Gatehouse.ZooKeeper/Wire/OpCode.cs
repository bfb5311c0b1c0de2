namespace Gatehouse.ZooKeeper.Wire;

/// <summary>Request types of the ZooKeeper protocol (ZooDefs.OpCode). Only the ones this client sends are listed.</summary>
internal enum OpCode
{
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetChildren = 8,
    Ping = 11,
    GetChildren2 = 12,
    Check = 13,
    Multi = 14,
    Create2 = 15,
    CloseSession = -11,
    SetWatches = 101,

    /// <summary>The type of a failed operation's result inside a multi response.</summary>
    Error = -1,
}

/// <summary>Reserved xids: replies with these are not answers to an ordinary request.</summary>
internal static class Xids
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}
