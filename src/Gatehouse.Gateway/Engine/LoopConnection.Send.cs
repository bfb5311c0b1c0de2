using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Engine;

internal sealed partial class LoopConnection
{
    private const int MaxIoVecs = 16;

    // Raised by the loop on output readiness; a sender waiting on it then continues on the loop thread.
    private readonly LoopSignal _writable = new();
    private MemoryHandle[]? _handles;

    /// <summary>Output readiness (loop thread only): wakes a sender that found the socket buffer full.</summary>
    public void OnWritable() => _writable.Raise();

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    var epoch = _writable.Epoch;
                    var sent = SendSome(buffer, out var errno);
                    if (sent > 0)
                    {
                        buffer = buffer.Slice(sent);
                        continue;
                    }

                    if (errno == LinuxNative.EIntr)
                    {
                        continue;
                    }

                    if (errno != LinuxNative.EAgain)
                    {
                        error = new ConnectionResetException($"send failed: errno {errno}");
                        break;
                    }

                    // The socket buffer is full: wait for the loop's output edge, unless one arrived since the attempt.
                    await _writable.WaitAsync(epoch).ConfigureAwait(false);
                }

                if (error is not null)
                {
                    break;
                }

                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            EndSend(error);
        }
    }

    /// <summary>One send (a single segment) or writev (up to 16 segments); returns bytes sent, or 0 with errno.</summary>
    private unsafe nint SendSome(in ReadOnlySequence<byte> buffer, out int errno)
    {
        nint sent;
        if (buffer.IsSingleSegment)
        {
            var span = buffer.FirstSpan;
            fixed (byte* p = span)
            {
                sent = LinuxNative.Send(Fd, p, span.Length, LinuxNative.MsgNoSignal);
            }
        }
        else
        {
            var vecs = stackalloc LinuxNative.IoVec[MaxIoVecs];
            var handles = _handles ??= new MemoryHandle[MaxIoVecs];
            var count = 0;
            try
            {
                foreach (var segment in buffer)
                {
                    if (segment.Length == 0)
                    {
                        continue;
                    }

                    handles[count] = segment.Pin();
                    vecs[count] = new LinuxNative.IoVec { Base = handles[count].Pointer, Length = (nuint)segment.Length };
                    if (++count == MaxIoVecs)
                    {
                        break;
                    }
                }

                sent = LinuxNative.Writev(Fd, vecs, count);
            }
            finally
            {
                for (var i = 0; i < count; i++)
                {
                    handles[i].Dispose();
                }
            }
        }

        errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        return sent < 0 ? 0 : sent;
    }

    /// <summary>Ends the send direction: the socket is shut down, which ends the receive direction on the loop.</summary>
    private void EndSend(Exception? error)
    {
        _sendDone = true;
        ShutdownSocket();
        _output.Reader.Complete(error);

        // A receive paused on a full input pipe would otherwise wait for a reader that has gone.
        _input.Writer.CancelPendingFlush();
        _readToEnd = true;
        _loop.Post(this, LoopWork.Read);
        _loop.Post(this, LoopWork.Close);
        if (_loopStopped)
        {
            TryClose();
        }
    }
}
