using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Engine;

/// <summary>
/// A client connection served by one <see cref="EventLoop"/>. The loop reads into the input pipe and Kestrel's
/// processing runs inline on the loop thread; responses are sent straight from the output pipe by the thread that
/// flushes them, and only a full socket buffer makes the sender wait for the loop's output readiness.
/// The socket is closed on the loop once both directions are done.
/// </summary>
internal sealed partial class LoopConnection : ConnectionContext, ILoopSocket,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly EventLoop _loop;
    private readonly LoopCounters _counters;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closedSource = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _fdLock = new();
    private readonly FeatureCollection _features = new();
    private IDictionary<object, object?>? _items;
    private string? _id;
    private volatile ConnectionAbortedException? _shutdownReason;
    private bool _fdClosed;
    private volatile bool _receiveDone;
    private volatile bool _sendDone;
    private volatile bool _loopStopped;
    private int _closedFired;
    private Task _sending = Task.CompletedTask;

    public LoopConnection(Socket socket, EventLoop loop, MemoryPool<byte> pool, LoopEngineOptions options, LoopCounters counters)
    {
        _socket = socket;
        _loop = loop;
        _counters = counters;
        Fd = (int)socket.SafeHandle.DangerousGetHandle();
        Generation = EventLoop.NextGeneration();
        MemoryPool = pool;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;

        // Kestrel's request processing continues inline on the loop thread when the loop flushes what it read;
        // the loop itself is resumed (ResumeRead) through its queue when a full input pipe drains.
        _input = new Pipe(new PipeOptions(pool, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxReadBufferSize, resumeWriterThreshold: options.MaxReadBufferSize / 2,
            minimumSegmentSize: pool.MaxBufferSize > 0 ? Math.Min(pool.MaxBufferSize, 4096) : 4096, useSynchronizationContext: false));

        // The sender runs on the thread that flushed (inline): the bytes go out in the flush call when the socket takes them.
        _output = new Pipe(new PipeOptions(pool, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxWriteBufferSize, resumeWriterThreshold: options.MaxWriteBufferSize / 2,
            useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        _onFlushCompleted = OnFlushCompleted;

        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
    }

    /// <summary>The socket's file descriptor, valid until the loop closes it.</summary>
    public int Fd { get; }

    /// <summary>Tells this connection's epoll events from those of an earlier connection in the same slot.</summary>
    public uint Generation { get; }

    /// <summary>Index in the loop's slot table, or -1 when not registered (loop thread only).</summary>
    public int Slot { get; set; } = -1;

    public override string ConnectionId
    {
        get => _id ??= "L" + Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        set => _id = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public override CancellationToken ConnectionClosed
    {
        get => _closedSource.Token;
        set => throw new NotSupportedException();
    }

    /// <summary>Registers the socket with its loop and starts the sender.</summary>
    public void Start()
    {
        _sending = SendLoopAsync();
        _loop.Post(this, LoopWork.Register);
    }

    public void RunWork(LoopWork work)
    {
        switch (work)
        {
            case LoopWork.Read:
                OnReadable();
                break;
            case LoopWork.ResumeRead:
                OnFlushResumed();
                break;
            case LoopWork.Close:
                TryClose();
                break;
        }
    }

    public void OnLoopFault(Exception error) => Abort(new ConnectionAbortedException("Event loop fault.", error));

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _shutdownReason ??= abortReason;

        // Shutting the socket down ends both directions: the loop sees the hang-up and the sender's next send fails.
        ShutdownSocket();
        _output.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        _input.Reader.Complete();
        _output.Writer.Complete();
        await _closed.Task.ConfigureAwait(false);
        _closedSource.Dispose();
    }

    /// <summary>Called by the loop when epoll refused the socket: nothing was ever read or sent on it.</summary>
    public void OnRegistrationFailed(int errno)
    {
        var error = new ConnectionResetException($"epoll_ctl failed: errno {errno}");
        _shutdownReason ??= new ConnectionAbortedException(error.Message, error);
        ShutdownSocket();
        EndReceive(error);
        _output.Reader.CancelPendingRead();
    }

    private void ShutdownSocket()
    {
        lock (_fdLock)
        {
            if (!_fdClosed)
            {
                LinuxNative.Shutdown(Fd, LinuxNative.ShutRdWr);
            }
        }
    }

    /// <summary>Cancels <see cref="ConnectionClosed"/> once, off the loop thread (its callbacks run application code).</summary>
    private void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            try
            {
                state._closedSource.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed after both directions ended: nobody is left to tell.
            }
        }, this, preferLocal: false);
    }

    /// <summary>Closes the socket once both directions are done (loop thread only).</summary>
    public void TryClose()
    {
        if (!_receiveDone || !_sendDone)
        {
            return;
        }

        lock (_fdLock)
        {
            if (_fdClosed)
            {
                return;
            }

            _loop.Release(this);
            _fdClosed = true;
        }

        _socket.Dispose();
        _counters.OnClosed();
        _closed.TrySetResult();
    }

    /// <summary>
    /// Ends a connection whose loop stopped (loop thread, after its last turn): both directions are shut down and the
    /// sender, once it has finished, closes the socket itself (<see cref="EndSend"/>), since no loop will.
    /// </summary>
    public void CloseOnStop()
    {
        _loopStopped = true;
        _shutdownReason ??= new ConnectionAbortedException("The event loop stopped.");
        ShutdownSocket();
        if (!_receiveDone)
        {
            _receiveDone = true;
            _input.Writer.Complete(_shutdownReason);
            FireConnectionClosed();
        }

        _output.Reader.CancelPendingRead();
        OnWritable();
        if (_sendDone)
        {
            TryClose();
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
