using System.Net;
using System.Net.Sockets;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Protocol;

namespace Gatehouse.Dubbo.Tests.Client;

/// <summary>A scripted Dubbo provider on a loopback socket: hands each received frame to a handler that answers.</summary>
internal sealed class FakeProvider : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeProvider.Exchange, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];

    public FakeProvider(Func<Exchange, Task> handler)
    {
        _handler = handler;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections { get; private set; }

    /// <summary>Every frame received, in order (heartbeat replies included).</summary>
    public List<DubboHeader> Received { get; } = [];

    /// <summary>Closes every accepted connection (the listener keeps accepting).</summary>
    public void DropConnections()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Close();
            }

            _sockets.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            Connections++;
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        var writeLock = new SemaphoreSlim(1, 1);
        var header = new byte[16];
        try
        {
            while (true)
            {
                await stream.ReadExactlyAsync(header, _stop.Token);
                var parsed = DubboHeader.Read(header);
                var body = new byte[parsed.BodyLength];
                await stream.ReadExactlyAsync(body, _stop.Token);
                lock (Received)
                {
                    Received.Add(parsed);
                }

                _ = _handler(new Exchange(parsed, body, async frame =>
                {
                    await writeLock.WaitAsync();
                    try
                    {
                        await stream.WriteAsync(frame);
                    }
                    finally
                    {
                        writeLock.Release();
                    }
                }));
            }
        }
        catch (Exception)
        {
            // Closed by the client, the test or disposal.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropConnections();
        await Task.CompletedTask;
    }

    /// <summary>One received frame and a way to answer on its connection.</summary>
    public sealed record Exchange(DubboHeader Header, byte[] Body, Func<byte[], Task> Send)
    {
        /// <summary>The method name of a request body.</summary>
        public string Method
        {
            get
            {
                var reader = new Hessian2Reader(Body);
                for (var i = 0; i < 3; i++)
                {
                    reader.ReadValue();
                }

                return reader.ReadString()!;
            }
        }

        /// <summary>The first argument of a request body.</summary>
        public object? FirstArgument
        {
            get
            {
                var reader = new Hessian2Reader(Body);
                for (var i = 0; i < 5; i++)
                {
                    reader.ReadValue();
                }

                return reader.ReadValue();
            }
        }

        public Task ReplyAsync(int flag, object? value, DubboStatus status = DubboStatus.Ok)
        {
            var writer = new Hessian2Writer();
            if (status == DubboStatus.Ok)
            {
                writer.WriteInt(flag);
                if (flag is 0 or 1 or 3 or 4)
                {
                    writer.WriteValue(value);
                }
            }
            else
            {
                writer.WriteValue(value);
            }

            var body = writer.WrittenMemory.ToArray();
            var frame = new byte[16 + body.Length];
            new DubboHeader(DubboHeader.Hessian2, (byte)status, Header.RequestId, body.Length).Write(frame);
            body.CopyTo(frame, 16);
            return Send(frame);
        }
    }
}
