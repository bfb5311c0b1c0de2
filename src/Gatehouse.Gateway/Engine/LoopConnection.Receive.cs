using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Engine;

internal sealed partial class LoopConnection
{
    // Reads per readiness before the connection yields to the others on its loop (it re-queues itself).
    private const int ReadBudget = 32;

    // Smaller free space at the end of a segment is skipped rather than read into with a tiny recv.
    private const int MinReadSize = 2048;

    // Bytes read back to back before Kestrel gets them: large enough for a 64 KiB body to arrive in one flush.
    private const int FlushThreshold = 64 * 1024;

    private readonly Action _onFlushCompleted;
    private ValueTask<FlushResult> _pendingFlush;
    private bool _readPaused;
    private volatile bool _readToEnd;

    /// <summary>
    /// Reads what the socket holds (loop thread only). Edge-triggered: a read shorter than the buffer emptied the
    /// socket and the next edge brings more, so the loop stops there instead of reading again into EAGAIN. While
    /// reads fill their buffer, the loop keeps reading and hands Kestrel up to <see cref="FlushThreshold"/> bytes
    /// per flush, so a body copy sees large reads rather than one per buffer.
    /// </summary>
    public unsafe void OnReadable(bool hangUp = false)
    {
        // A hang-up (FIN, reset, or our own shutdown) may sit behind the data of a short read without another edge
        // to announce it, so from then on the loop reads until recv returns 0 or EAGAIN.
        _readToEnd |= hangUp;
        if (_receiveDone || _readPaused)
        {
            return;
        }

        var writer = _input.Writer;
        var unflushed = 0;
        for (var i = 0; i < ReadBudget; i++)
        {
            var memory = writer.GetMemory(MinReadSize);
            nint received;
            fixed (byte* buffer = memory.Span)
            {
                received = LinuxNative.Recv(Fd, buffer, memory.Length, 0);
            }

            // Taken now: the flush below runs application code whose own system calls overwrite the last error.
            var errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;

            if (received > 0)
            {
                writer.Advance((int)received);
                unflushed += (int)received;
                var drained = received < memory.Length && !_readToEnd;
                if (!drained && unflushed < FlushThreshold)
                {
                    continue;
                }

                if (!Flush())
                {
                    return;
                }

                unflushed = 0;
                if (drained || _receiveDone)
                {
                    return;
                }

                continue;
            }

            // Hand over what was read before the end, the EAGAIN or the error.
            if (unflushed > 0 && !Flush())
            {
                return;
            }

            unflushed = 0;
            if (received == 0)
            {
                // FIN from the peer (or our own shutdown).
                EndReceive(null);
                return;
            }

            if (errno == LinuxNative.EAgain)
            {
                return;
            }

            if (errno != LinuxNative.EIntr)
            {
                EndReceive(new ConnectionResetException($"recv failed: errno {errno}"));
                return;
            }
        }

        if (unflushed > 0 && !Flush())
        {
            return;
        }

        // Budget used up with data still coming: continue after the other sockets of this loop had their turn.
        _loop.Post(this, LoopWork.Read);
    }

    /// <summary>
    /// Flushes the input pipe; Kestrel's parser and the application run inside it, on this thread. False when reading
    /// must stop: the pipe is full (reading resumes through <see cref="OnFlushResumed"/>) or its reader is gone.
    /// </summary>
    private bool Flush()
    {
        var flush = _input.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            // The input pipe is full: stop reading until the application has taken some of it.
            _readPaused = true;
            _pendingFlush = flush;
            flush.GetAwaiter().UnsafeOnCompleted(_onFlushCompleted);
            return false;
        }

        var result = flush.Result;
        if (result.IsCompleted || result.IsCanceled)
        {
            EndReceive(null);
            return false;
        }

        return true;
    }

    /// <summary>The paused flush completed (any thread): continue reading on the loop.</summary>
    private void OnFlushCompleted() => _loop.Post(this, LoopWork.ResumeRead);

    /// <summary>Resumes reading after the input pipe drained (loop thread only).</summary>
    public void OnFlushResumed()
    {
        if (!_readPaused)
        {
            return;
        }

        _readPaused = false;
        var flush = _pendingFlush;
        _pendingFlush = default;
        FlushResult result;
        try
        {
            result = flush.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            EndReceive(e);
            return;
        }

        if (result.IsCompleted || result.IsCanceled)
        {
            EndReceive(null);
            return;
        }

        // No edge comes for bytes that arrived while paused: read now.
        OnReadable();
    }

    /// <summary>Ends the receive direction once: completes the input pipe and signals ConnectionClosed.</summary>
    private void EndReceive(Exception? error)
    {
        if (_receiveDone)
        {
            return;
        }

        _receiveDone = true;
        _input.Writer.Complete(_shutdownReason ?? error);
        FireConnectionClosed();
        TryClose();
    }
}
