using System.Buffers;
using System.Net.Sockets;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis.Connection;

internal sealed partial class RedisConnection
{
    private async Task WriteLoopAsync()
    {
        using var buffer = new PooledBufferWriter(16 * 1024);
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                // Everything queued since the last send goes out in one write: under load many commands share
                // one syscall, and a lone command is sent at once (no batching delay).
                while (IsAlive && reader.TryRead(out var command))
                {
                    _awaiting.Enqueue(command);
                    RespWriter.WriteCommand(buffer, command.Args);
                    if (buffer.WrittenCount >= FlushThreshold)
                    {
                        await SendAsync(buffer);
                    }
                }

                if (!IsAlive)
                {
                    break;
                }

                await SendAsync(buffer);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            // A command taken from the channel after Fail drained the queues is failed here.
            if (!IsAlive)
            {
                DrainAll();
            }
        }
    }

    private async ValueTask SendAsync(PooledBufferWriter buffer)
    {
        var pending = buffer.WrittenMemory;
        while (!pending.IsEmpty)
        {
            var sent = await _socket.SendAsync(pending, SocketFlags.None);
            pending = pending[sent..];
        }

        buffer.Clear();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int start = 0, end = 0;
        try
        {
            while (IsAlive)
            {
                if (end == buffer.Length)
                {
                    // Full: slide the unparsed tail to the front, or grow when one reply fills the buffer.
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }
                    else
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, end).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                }

                var read = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (read == 0)
                {
                    Fail(Lost("the server closed the connection"));
                    break;
                }

                end += read;
                while (start < end && RespParser.TryParse(buffer.AsSpan(start, end - start), out var reply, out var consumed))
                {
                    start += consumed;
                    Complete(reply);
                }

                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Complete(RespValue reply)
    {
        if (!_awaiting.TryDequeue(out var command))
        {
            // A reply nobody asked for: the stream and the queue no longer line up, nothing after it can be trusted.
            throw new RespProtocolException("Reply received with no command awaiting it");
        }

        if (reply.IsError)
        {
            command.TrySetException(new RedisServerException(reply.AsString()!));
        }
        else
        {
            command.TrySetResult(reply);
        }
    }
}
