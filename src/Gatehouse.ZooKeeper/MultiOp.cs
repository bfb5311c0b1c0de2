using Gatehouse.ZooKeeper.Wire;

namespace Gatehouse.ZooKeeper;

/// <summary>One operation of an atomic <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
public abstract record MultiOp(string Path)
{
    internal abstract Wire.OpCode Code { get; }

    internal abstract void Write(JuteWriter writer, string serverPath);

    /// <summary>Create a node (open ACL).</summary>
    public static MultiOp Create(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent) => new CreateOp(path, data, mode);

    /// <summary>Delete a node if its version matches (-1: any).</summary>
    public static MultiOp Delete(string path, int version = -1) => new DeleteOp(path, version);

    /// <summary>Set a node's data if its version matches (-1: any).</summary>
    public static MultiOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new SetDataOp(path, data, version);

    /// <summary>Only check that a node has the version (fails the transaction otherwise).</summary>
    public static MultiOp Check(string path, int version) => new CheckOp(path, version);

    private sealed record CreateOp(string Path, ReadOnlyMemory<byte> Data, CreateMode Mode) : MultiOp(Path)
    {
        internal override Wire.OpCode Code => Wire.OpCode.Create;

        internal override void Write(JuteWriter writer, string serverPath) => Records.WriteCreate(writer, serverPath, Data.Span, Mode);
    }

    private sealed record DeleteOp(string Path, int Version) : MultiOp(Path)
    {
        internal override Wire.OpCode Code => Wire.OpCode.Delete;

        internal override void Write(JuteWriter writer, string serverPath) => Records.WritePathVersion(writer, serverPath, Version);
    }

    private sealed record SetDataOp(string Path, ReadOnlyMemory<byte> Data, int Version) : MultiOp(Path)
    {
        internal override Wire.OpCode Code => Wire.OpCode.SetData;

        internal override void Write(JuteWriter writer, string serverPath) => Records.WriteSetData(writer, serverPath, Data.Span, Version);
    }

    private sealed record CheckOp(string Path, int Version) : MultiOp(Path)
    {
        internal override Wire.OpCode Code => Wire.OpCode.Check;

        internal override void Write(JuteWriter writer, string serverPath) => Records.WritePathVersion(writer, serverPath, Version);
    }
}

/// <summary>The result of one operation of a successful transaction.</summary>
/// <param name="Path">For create: the created path (with the sequential suffix); otherwise the operation's path.</param>
/// <param name="Stat">For setData: the node's new metadata; otherwise null.</param>
public sealed record MultiResult(string Path, ZNodeStat? Stat);

/// <summary>
/// A transaction failed as a whole; nothing of it was applied. <see cref="ZooKeeperException.Code"/> and
/// <see cref="ZooKeeperException.Path"/> describe the operation that failed, <see cref="FailedIndex"/> its position.
/// </summary>
public sealed class MultiFailedException(ZooKeeperErrorCode code, string path, int failedIndex)
    : ZooKeeperException(code, path, $"ZooKeeper transaction failed at operation {failedIndex} ('{path}'): {code} ({(int)code}).")
{
    /// <summary>Index of the failed operation in the list given to <see cref="ZooKeeperClient.MultiAsync"/>.</summary>
    public int FailedIndex { get; } = failedIndex;
}
