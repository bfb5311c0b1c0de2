using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis.Connection;

/// <summary>
/// One socket's life: a write loop and a read loop sharing a FIFO of commands awaiting replies. Never reused
/// after a failure; <see cref="ConnectionSlot"/> opens a new one.
/// </summary>
/// <remarks>
/// Pipelining as StackExchange.Redis' PhysicalConnection does it: callers only queue a command (no lock, no
/// wait for the socket); the write loop drains whatever is queued into one pooled buffer and sends it in one
/// call, appending each command to the awaiting queue before its bytes go out; the read loop parses replies
/// and completes the queue's head, since Redis answers in order. Many commands are in flight at once.
/// </remarks>
internal sealed partial class RedisConnection
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly Channel<PendingCommand> _outgoing = Channel.CreateUnbounded<PendingCommand>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = false });
    private readonly ConcurrentQueue<PendingCommand> _awaiting = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RedisConnectionException? _error;
    private int _failed;

    private RedisConnection(Socket socket, DnsEndPoint endpoint)
    {
        _socket = socket;
        Endpoint = $"{endpoint.Host}:{endpoint.Port}";
    }

    /// <summary><c>host:port</c>, for messages.</summary>
    public string Endpoint { get; }

    public bool IsAlive => Volatile.Read(ref _failed) == 0;

    /// <summary>Completes when the connection has failed or was closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects, starts both loops, and runs the handshake (AUTH, SELECT, PING) before returning.</summary>
    public static async Task<RedisConnection> ConnectAsync(DnsEndPoint endpoint, RedisOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
        }
        catch (Exception ex)
        {
            socket.Dispose();
            throw new RedisConnectionException(ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? $"Connect to {endpoint.Host}:{endpoint.Port} timed out after {options.ConnectTimeout.TotalMilliseconds:0} ms"
                : $"Connect to {endpoint.Host}:{endpoint.Port} failed: {ex.Message}", ex);
        }

        var connection = new RedisConnection(socket, endpoint);
        connection.Start();
        try
        {
            var handshakeTimeout = (long)options.ConnectTimeout.TotalMilliseconds;
            if (!string.IsNullOrEmpty(options.Password))
            {
                await connection.Send([RedisCommands.Auth, options.Password], handshakeTimeout).WaitAsync(timeout.Token);
            }

            if (options.Database != 0)
            {
                await connection.Send([RedisCommands.Select, options.Database], handshakeTimeout).WaitAsync(timeout.Token);
            }

            await connection.Send([RedisCommands.Ping], handshakeTimeout).WaitAsync(timeout.Token);
            return connection;
        }
        catch (Exception ex)
        {
            var error = new RedisConnectionException($"Handshake with {endpoint.Host}:{endpoint.Port} failed: {ex.Message}", ex);
            connection.Fail(error);
            throw error;
        }
    }

    /// <summary>Queues a command; the task completes with its reply, an error reply as <see cref="RedisServerException"/>.</summary>
    public Task<RespValue> Send(RedisArg[] args, long timeoutMs)
    {
        var command = new PendingCommand(args, Environment.TickCount64 + timeoutMs);
        if (!_outgoing.Writer.TryWrite(command))
        {
            return Task.FromException<RespValue>(_error ?? Lost("the connection is closed"));
        }

        return command.Task;
    }

    /// <summary>
    /// Times out the commands whose deadline passed. Deadlines grow along the FIFO (one timeout per client),
    /// so the scan stops at the first live one. A reply that arrives later still pops its entry, which keeps
    /// the queue aligned with the stream. A head that is long overdue means the server is stuck (SIGSTOP, a
    /// network black hole): the connection is dropped so the slot reconnects.
    /// </summary>
    public void CheckTimeouts(long now, long staleAfterMs)
    {
        foreach (var command in _awaiting)
        {
            if (command.Deadline > now)
            {
                break;
            }

            if (!command.Task.IsCompleted)
            {
                command.TrySetException(new RedisTimeoutException(
                    $"Redis at {Endpoint} did not answer within the command timeout"));
            }
        }

        if (_awaiting.TryPeek(out var head) && now - head.Deadline > staleAfterMs)
        {
            Fail(new RedisConnectionException($"Redis at {Endpoint} stopped answering; reconnecting"));
        }
    }

    public void Close() => Fail(new RedisConnectionException("The Redis client was disposed"));

    private void Start()
    {
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(ReadLoopAsync);
    }

    private RedisConnectionException Lost(string why) => new($"Connection to Redis at {Endpoint} lost: {why}");

    /// <summary>Closes the socket once and fails every command queued or awaiting a reply.</summary>
    private void Fail(Exception reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }

        _error = reason as RedisConnectionException ?? new RedisConnectionException(
            $"Connection to Redis at {Endpoint} lost: {reason.Message}", reason);
        _outgoing.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
        DrainAll();
        _closed.TrySetResult();
    }

    private void DrainAll()
    {
        var error = _error!;
        while (_awaiting.TryDequeue(out var command))
        {
            command.TrySetException(error);
        }

        while (_outgoing.Reader.TryRead(out var command))
        {
            command.TrySetException(error);
        }
    }
}
