using Gatehouse.ZooKeeper.Connection;

namespace Gatehouse.ZooKeeper.Wire;

/// <summary>
/// Builds the request records of zookeeper.jute (CreateRequest, DeleteRequest, ExistsRequest, GetDataRequest,
/// SetDataRequest, GetChildren2Request, SetWatches, MultiRequest) and the parsers of their responses.
/// Paths handed in here are server paths (chroot already applied).
/// </summary>
internal static class Records
{
    /// <summary>ACL world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE); perms bits READ|WRITE|CREATE|DELETE|ADMIN.</summary>
    private const int AllPermissions = 0x1f;

    public static void WriteCreate(JuteWriter writer, string serverPath, ReadOnlySpan<byte> data, CreateMode mode)
    {
        writer.WriteString(serverPath);
        writer.WriteBuffer(data);
        writer.WriteInt(1); // vector<ACL> with one entry
        writer.WriteInt(AllPermissions);
        writer.WriteString("world");
        writer.WriteString("anyone");
        writer.WriteInt((int)mode);
    }

    public static void WritePathVersion(JuteWriter writer, string serverPath, int version)
    {
        writer.WriteString(serverPath);
        writer.WriteInt(version);
    }

    public static void WritePathWatch(JuteWriter writer, string serverPath, bool watch)
    {
        writer.WriteString(serverPath);
        writer.WriteBool(watch);
    }

    public static void WriteSetData(JuteWriter writer, string serverPath, ReadOnlySpan<byte> data, int version)
    {
        writer.WriteString(serverPath);
        writer.WriteBuffer(data);
        writer.WriteInt(version);
    }

    /// <summary>
    /// SetWatches: the server compares each path with <paramref name="relativeZxid"/> (the last zxid this client saw)
    /// and fires at once what changed while the client was away, then re-arms the rest.
    /// </summary>
    public static void WriteSetWatches(JuteWriter writer, long relativeZxid, List<string> data, List<string> exist, List<string> child)
    {
        writer.WriteLong(relativeZxid);
        writer.WriteStrings(data);
        writer.WriteStrings(exist);
        writer.WriteStrings(child);
    }

    public static void ThrowIfFailed(ZooKeeperErrorCode code, string? path)
    {
        if (code != ZooKeeperErrorCode.Ok)
        {
            throw ZooKeeperException.Create(code, path);
        }
    }
}
