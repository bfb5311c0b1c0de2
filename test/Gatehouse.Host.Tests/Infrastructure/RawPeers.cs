using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Host.Tests.Infrastructure;

/// <summary>
/// Stand-in nodes on loopback that speak no HTTP at all: one that takes connections and never answers (the gateway
/// forwards, the client's body decides the outcome), one that resets every connection once it has read from it (a
/// genuine upstream failure, the gateway's own problem to log in full).
/// </summary>
internal sealed class RawNode : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    private RawNode(bool reset)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        _ = AcceptAsync(reset);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static RawNode Silent() => new(reset: false);

    public static RawNode Resetting() => new(reset: true);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptAsync(bool reset)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(socket, reset);
        }
    }

    private async Task ServeAsync(Socket socket, bool reset)
    {
        using (socket)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (await socket.ReceiveAsync(buffer, _stop.Token) > 0)
                {
                    if (reset)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>Raw HTTP/1.1 exchanges a misbehaving client makes.</summary>
internal static class RawClient
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Sends <paramref name="request"/> and returns what comes back until the gateway closes or a timeout.</summary>
    public static async Task<string> ExchangeAsync(int port, string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(Limit);
        await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && IsCompleteProblem(received.ToString()))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // A reset or a stall is an answer too; the caller checks the text.
        }

        return received.ToString();
    }

    /// <summary>Sends the start of a request, waits a moment for the gateway to forward it, and resets the connection.</summary>
    public static async Task AbortMidBodyAsync(int port, string headers, TimeSpan wait)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(headers + "abc"));
        await Task.Delay(wait);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private static bool IsCompleteProblem(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lengthAt = text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
        if (lengthAt < 0 || lengthAt > split)
        {
            return false;
        }

        var end = text.IndexOf('\r', lengthAt);
        return int.TryParse(text.AsSpan(lengthAt + 16, end - lengthAt - 16), out var length) && text.Length - split - 4 >= length;
    }
}
