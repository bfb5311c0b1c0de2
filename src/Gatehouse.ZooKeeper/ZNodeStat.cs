namespace Gatehouse.ZooKeeper;

/// <summary>A node's metadata (the jute <c>Stat</c> record).</summary>
/// <param name="Czxid">Zxid of the transaction that created the node.</param>
/// <param name="Mzxid">Zxid of the last data change.</param>
/// <param name="Ctime">Creation time, Unix milliseconds.</param>
/// <param name="Mtime">Last modification time, Unix milliseconds.</param>
/// <param name="Version">Data version (what <c>setData</c>/<c>delete</c> compare against).</param>
/// <param name="Cversion">Children version.</param>
/// <param name="Aversion">ACL version.</param>
/// <param name="EphemeralOwner">Session id of the owner for an ephemeral node, 0 otherwise.</param>
/// <param name="DataLength">Length of the data in bytes.</param>
/// <param name="NumChildren">Number of children.</param>
/// <param name="Pzxid">Zxid of the last change to the children.</param>
public sealed record ZNodeStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid)
{
    internal static ZNodeStat Read(ref Wire.JuteReader reader) => new(
        reader.ReadLong(), reader.ReadLong(), reader.ReadLong(), reader.ReadLong(),
        reader.ReadInt(), reader.ReadInt(), reader.ReadInt(),
        reader.ReadLong(), reader.ReadInt(), reader.ReadInt(), reader.ReadLong());
}

/// <summary>A node's data and metadata, as returned by <see cref="ZooKeeperClient.GetDataAsync"/>.</summary>
public sealed record ZNodeData(byte[] Data, ZNodeStat Stat);

/// <summary>A node's children (names, not paths) and its metadata, as returned by <see cref="ZooKeeperClient.GetChildrenAsync"/>.</summary>
public sealed record ZNodeChildren(IReadOnlyList<string> Children, ZNodeStat Stat);

/// <summary>How a node is created (the wire <c>flags</c> of CreateRequest).</summary>
public enum CreateMode
{
    /// <summary>Stays until deleted.</summary>
    Persistent = 0,

    /// <summary>Deleted by the server when the creating session ends (closed or expired).</summary>
    Ephemeral = 1,

    /// <summary>Persistent; the server appends a 10-digit, zero-padded counter of the parent to the name.</summary>
    PersistentSequential = 2,

    /// <summary>Ephemeral with a sequential suffix.</summary>
    EphemeralSequential = 3,
}
