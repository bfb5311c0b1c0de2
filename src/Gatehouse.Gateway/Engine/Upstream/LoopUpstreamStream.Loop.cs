namespace Gatehouse.Gateway.Engine.Upstream;

// What the loop calls (readiness, queued work, faults, its stop) and the close, which ends on the loop.
internal sealed partial class LoopUpstreamStream
{
    /// <summary>Wakes both directions (cancellation, close): the waiters look again and find why.</summary>
    private void WakeAll()
    {
        _readable.Raise();
        _writable.Raise();
    }

    void ILoopSocket.OnReadable(bool hangUp)
    {
        // Set before the raise, whose increment publishes it to the reader that sees the new epoch.
        _hangUp |= hangUp;
        _readable.Raise();
    }

    void ILoopSocket.OnWritable() => _writable.Raise();

    void ILoopSocket.RunWork(LoopWork work)
    {
        if (work == LoopWork.Close)
        {
            CloseDescriptor();
        }
    }

    void ILoopSocket.OnRegistrationFailed(int errno)
    {
        _registrationErrno = errno;
        WakeAll();
    }

    void ILoopSocket.OnLoopFault(Exception error) => Dispose();

    void ILoopSocket.CloseOnStop()
    {
        Interlocked.Exchange(ref _disposed, 1);
        WakeAll();
        CloseDescriptor();
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Shut down at once, from any thread, so the node sees the end now; the loop then unregisters and closes.
        var added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            LinuxNative.Shutdown(Fd, LinuxNative.ShutRdWr);
        }
        finally
        {
            _socket.SafeHandle.DangerousRelease();
        }

        WakeAll();
        if (_loop.IsLoopThread || _loop.Stopped)
        {
            CloseDescriptor();
        }
        else
        {
            _loop.Post(this, LoopWork.Close);

            // The loop may have stopped after the check and before the post, leaving the close unrun.
            if (_loop.Stopped)
            {
                CloseDescriptor();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Unregisters (on the loop thread) and closes the descriptor, once.</summary>
    private void CloseDescriptor()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_loop.IsLoopThread)
        {
            _loop.Release(this);
        }

        _socket.Dispose();
        if (_counted)
        {
            _counters.OnClosed();
        }
    }
}
