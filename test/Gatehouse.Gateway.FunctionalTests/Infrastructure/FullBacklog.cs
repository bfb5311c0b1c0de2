using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>A listener that never accepts, for connect timeouts on loopback.</summary>
internal static class FullBacklog
{
    /// <summary>
    /// Connects until the listener's accept queue is full: Linux then drops further SYNs, so a new connection
    /// attempt hangs until it times out, on loopback, without routing anywhere.
    /// </summary>
    public static async Task<List<Socket>> FillAsync(int port)
    {
        var sockets = new List<Socket>();
        for (var i = 0; i < 64; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
                sockets.Add(socket);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return sockets;
            }
        }

        throw new InvalidOperationException("The listener's backlog never filled up.");
    }
}
