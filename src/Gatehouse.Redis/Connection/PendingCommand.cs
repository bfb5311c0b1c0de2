using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis.Connection;

/// <summary>
/// A command on its way: its arguments until written, then its place in the connection's FIFO of replies.
/// It is its own completion source, so a command costs one object besides its argument array.
/// </summary>
internal sealed class PendingCommand(RedisArg[] args, long deadline)
    : TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public RedisArg[] Args { get; } = args;

    /// <summary><see cref="Environment.TickCount64"/> after which the caller gets a timeout.</summary>
    public long Deadline { get; } = deadline;
}
