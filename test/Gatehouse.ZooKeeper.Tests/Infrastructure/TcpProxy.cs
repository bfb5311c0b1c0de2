using System.Net;
using System.Net.Sockets;

namespace Gatehouse.ZooKeeper.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of the server, to cut one client off (a network partition) without touching the
/// server or other clients: <see cref="Partition"/> drops every relayed connection and refuses new ones,
/// <see cref="Heal"/> accepts again on the same port.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly Lock _lock = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private volatile bool _blackhole;
    private Task _acceptLoop = Task.CompletedTask;

    public TcpProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        Port = ZooKeeperServer.FreePort();
        Heal();
    }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>Keeps connections open but drops every byte in both directions (a silent link).</summary>
    public void Blackhole() => _blackhole = true;

    public void Heal()
    {
        _blackhole = false;
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _acceptLoop = AcceptAsync(listener);
    }

    public void Partition()
    {
        _listener?.Stop();
        _listener = null;
        lock (_lock)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient downstream;
            try
            {
                downstream = await listener.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort);
            }
            catch (SocketException)
            {
                downstream.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_lock)
            {
                _connections.Add(downstream);
                _connections.Add(upstream);
            }

            _ = PumpAsync(downstream, upstream);
            _ = PumpAsync(upstream, downstream);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            int read;
            while ((read = await source.ReadAsync(buffer)) > 0)
            {
                if (!_blackhole)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read));
                }
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Partition();
        await _acceptLoop;
    }
}
