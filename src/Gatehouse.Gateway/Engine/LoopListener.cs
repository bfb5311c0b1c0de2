using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Engine;

/// <summary>
/// A listening socket whose accepted connections are spread round-robin over the engine's loops. Accepting stays on
/// the platform's socket engine: it happens once per connection, not per request.
/// </summary>
internal sealed class LoopListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly EventLoop[] _loops;
    private readonly MemoryPool<byte> _pool;
    private readonly LoopEngineOptions _options;
    private readonly LoopCounters _counters;
    private int _next;

    public LoopListener(EndPoint endpoint, EventLoop[] loops, MemoryPool<byte> pool, LoopEngineOptions options, LoopCounters counters)
    {
        _loops = loops;
        _pool = pool;
        _options = options;
        _counters = counters;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        EndPoint = _socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException)
            {
                // The peer reset before the accept completed: wait for the next one, as Kestrel's socket transport does.
                continue;
            }

            accepted.NoDelay = true;
            accepted.Blocking = false;
            var loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
            _counters.OnOpened();
            var connection = new LoopConnection(accepted, loop, _pool, _options, _counters);
            connection.Start();
            return connection;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
