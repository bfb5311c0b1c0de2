using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Gatehouse.Rpc;

/// <summary>
/// One long-lived connection to one server, multiplexing calls by request id (the connection layer of the RPC
/// clients). The protocol supplies its framing and its exceptions through the abstract members.
/// </summary>
/// <typeparam name="TRequestId">The protocol's request id, unique among the calls in flight.</typeparam>
/// <typeparam name="TCall">What one call sends.</typeparam>
/// <typeparam name="TFrame">A response frame as the read loop hands it to the waiting call.</typeparam>
/// <typeparam name="TResult">What a call returns, read from its frame on the caller's side (<see cref="ReadResult"/>).</typeparam>
/// <remarks>
/// Calls write whole frames under a write lock (one frame per write, so frames never interleave) and wait on a
/// completion keyed by their request id; a single read loop (<see cref="ReadFrameAsync"/>, one frame per call)
/// completes them in whatever order the server answers. A write is not cancellable by its caller once started (a cut
/// frame would corrupt the stream); a failed write closes the connection. Once closed (read failure, protocol error,
/// write failure, dispose) every pending call fails with the exception of <see cref="ConnectionLost"/> and the
/// connection is never reused: <see cref="ConnectionPool{TConnection}"/> opens a new one.
/// </remarks>
public abstract class MultiplexedConnection<TRequestId, TCall, TFrame, TResult> : IPooledConnection
    where TRequestId : notnull
{
    private readonly Stream _stream;
    private readonly ConcurrentDictionary<TRequestId, TaskCompletionSource<TFrame>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private int _closed;

    /// <summary>Takes over <paramref name="stream"/> (disposed on close); the derived constructor then calls <see cref="StartReading"/>.</summary>
    /// <param name="stream">The connected transport, usually a <see cref="NetworkStream"/> owning its socket.</param>
    /// <param name="endpoint"><c>host:port</c> of the server, for messages.</param>
    protected MultiplexedConnection(Stream stream, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(endpoint);
        _stream = stream;
        Endpoint = endpoint;
    }

    /// <summary><c>host:port</c> of the server.</summary>
    public string Endpoint { get; }

    /// <inheritdoc/>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Number of calls waiting for a response (for tests and diagnostics).</summary>
    public int PendingCount => _pending.Count;

    /// <summary>
    /// Starts the read loop. Called last by the derived constructor, once everything <see cref="ReadFrameAsync"/>
    /// and <see cref="OnClosed"/> use is set: a loop that fails at once closes the connection.
    /// </summary>
    protected void StartReading() => _ = Task.Run(ReadLoopAsync);

    /// <summary>The next request id; never one of a call in flight.</summary>
    protected abstract TRequestId NextRequestId();

    /// <summary>The whole frame of <paramref name="call"/> with <paramref name="requestId"/>.</summary>
    /// <param name="requestId">The call's request id.</param>
    /// <param name="call">The call.</param>
    /// <param name="timeout">The call's timeout (<see cref="Timeout.InfiniteTimeSpan"/> for none), for protocols that send it.</param>
    protected abstract ReadOnlyMemory<byte> EncodeCall(TRequestId requestId, TCall call, TimeSpan timeout);

    /// <summary>
    /// Reads the next whole frame from <paramref name="stream"/>. A frame that answers no call (a heartbeat, an event)
    /// is handled here and returned as <see cref="RpcFrame{TRequestId, TResponse}.None"/>. Any exception closes the
    /// connection, so decoding that may fail for one call alone belongs in <see cref="ReadResult"/>.
    /// </summary>
    protected abstract ValueTask<RpcFrame<TRequestId, TFrame>> ReadFrameAsync(Stream stream, CancellationToken cancellationToken);

    /// <summary>
    /// The result of a call from its response frame, on the caller's side: throws the protocol's exception for an
    /// answer that is an error, or that cannot be decoded (which fails that call only).
    /// </summary>
    protected abstract TResult ReadResult(TFrame frame);

    /// <summary>The protocol's exception for a connection that closed or broke with calls in flight.</summary>
    protected abstract Exception ConnectionLost(string message, Exception? inner);

    /// <summary>The protocol's exception for a call not answered within <paramref name="timeout"/>.</summary>
    protected abstract Exception CallTimedOut(TCall call, TimeSpan timeout);

    /// <summary>
    /// Runs once when the connection closes, before the pending calls fail: <paramref name="failure"/> is why, or null
    /// when it was disposed.
    /// </summary>
    protected virtual void OnClosed(Exception? failure)
    {
    }

    /// <summary>Sends <paramref name="call"/>, waits for its response and reads its result (<see cref="ReadResult"/>).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <remarks>Throws the exceptions of <see cref="ConnectionLost"/>, <see cref="CallTimedOut"/> and <see cref="ReadResult"/>.</remarks>
    protected async Task<TResult> SendAsync(TCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = NextRequestId();
        var completion = new TaskCompletionSource<TFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            await WriteFrameAsync(EncodeCall(id, call, timeout), cancellationToken).ConfigureAwait(false);
            if (IsClosed)
            {
                // Closed between registering and writing: the close's sweep may have run before the registration.
                throw ConnectionLost($"connection to {Endpoint} closed", null);
            }

            TFrame frame;
            try
            {
                frame = await completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw CallTimedOut(call, timeout);
            }

            return ReadResult(frame);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Writes one whole frame under the write lock; a failure closes the connection.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting for the lock.</exception>
    /// <remarks>Throws the exception of <see cref="ConnectionLost"/> when closed or when the write fails.</remarks>
    protected async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            throw ConnectionLost($"connection to {Endpoint} closed", null);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Not the caller's cancellation (it does not reach the write): the connection is failing or closing.
            Close(e);
            throw ConnectionLost($"writing to {Endpoint} failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var frame = await ReadFrameAsync(_stream, _closing.Token).ConfigureAwait(false);
                if (frame.IsResponse && _pending.TryRemove(frame.RequestId, out var completion))
                {
                    completion.TrySetResult(frame.Value);
                }
            }
        }
        catch (Exception e)
        {
            Close(e);
        }
    }

    /// <summary>Closes the connection (once): stops the read loop, disposes the stream and fails every pending call.</summary>
    /// <param name="reason">Why; an <see cref="OperationCanceledException"/> for a deliberate close.</param>
    protected void Close(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        OnClosed(reason is OperationCanceledException ? null : reason);
        _closing.Cancel();
        _stream.Dispose();
        foreach (var pending in _pending)
        {
            pending.Value.TrySetException(ConnectionLost($"connection to {Endpoint} closed: {reason.Message}", reason));
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Close(new OperationCanceledException("disposed"));
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
