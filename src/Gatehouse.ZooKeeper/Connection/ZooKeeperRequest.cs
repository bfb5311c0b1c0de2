using System.Buffers;
using Gatehouse.ZooKeeper.Wire;

namespace Gatehouse.ZooKeeper.Connection;

/// <summary>Parses a reply body for a request; throws a <see cref="ZooKeeperException"/> for a failure code.</summary>
internal delegate T ReplyParser<T>(ZooKeeperErrorCode code, ref JuteReader reader);

/// <summary>Which watch table a successful read registers its watcher in (ZooKeeper's data/exist/child watches).</summary>
internal enum WatchKind
{
    Data,
    Exist,
    Child,
}

/// <summary>
/// One request: its op code, its already serialised body (the header with the xid is written when it is sent, so
/// xids follow the order on the wire), the watch it would register, and the task the caller awaits.
/// </summary>
internal abstract class ZooKeeperRequest(OpCode op, string? path, byte[] body)
{
    private volatile bool _abandoned;

    public OpCode Op { get; } = op;

    /// <summary>The path as the caller gave it (for errors and watch tables).</summary>
    public string? Path { get; } = path;

    public byte[] Body { get; } = body;

    public Action<WatchedEvent>? Watcher { get; init; }

    public WatchKind WatchKind { get; init; }

    public WatchRegistry? Watches { get; init; }

    /// <summary>The caller stopped waiting (timeout or cancellation): not sent if still queued, no watch registered.</summary>
    public bool IsAbandoned => _abandoned;

    public void Abandon() => _abandoned = true;

    /// <summary>Called on the connection's read loop with the reply; registers the watch before anything later is read.</summary>
    public void Complete(ZooKeeperErrorCode code, ReadOnlySpan<byte> body)
    {
        if (Watcher is not null && Watches is not null && !_abandoned && Path is not null)
        {
            // As in ZooKeeper's own client: exists registers on success (a data watch) and on NoNode (an exist
            // watch, fired by creation); getData/getChildren only on success.
            if (code == ZooKeeperErrorCode.Ok)
            {
                Watches.Add(WatchKind, Path, Watcher);
            }
            else if (code == ZooKeeperErrorCode.NoNode && Op == OpCode.Exists)
            {
                Watches.Add(WatchKind.Exist, Path, Watcher);
            }
        }

        CompleteCore(code, body);
    }

    protected abstract void CompleteCore(ZooKeeperErrorCode code, ReadOnlySpan<byte> body);

    public abstract void Fail(Exception exception);

    /// <summary>Serialises a record body with <paramref name="write"/>.</summary>
    public static byte[] Serialize(Action<JuteWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        write(new JuteWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}

internal sealed class ZooKeeperRequest<T>(OpCode op, string? path, byte[] body, ReplyParser<T> parser) : ZooKeeperRequest(op, path, body)
{
    // Continuations run off the read loop, so a slow caller never stalls replies and notifications.
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    protected override void CompleteCore(ZooKeeperErrorCode code, ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new JuteReader(body);
            _completion.TrySetResult(parser(code, ref reader));
        }
        catch (Exception exception)
        {
            _completion.TrySetException(exception);
        }
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}
