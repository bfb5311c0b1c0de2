using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Testing;

/// <summary>Loopback ports for test servers (Kestrel hosts, gateway processes, redis-server, ZooKeeper, PostgreSQL).</summary>
/// <remarks>
/// Asking the OS for port 0 and closing the listener is racy in a way that shows on a busy box: the port comes from
/// the ephemeral range, so any outgoing connection made before the server binds (a test's HTTP client, a pooled
/// upstream connection, another test process) may be handed the same port, and the server then fails with "address
/// already in use". Ports here come from below Linux's default ephemeral range (32768–60999), which connect() never
/// picks, walked from a per-process random start so parallel test processes rarely meet, and each is checked free.
/// </remarks>
internal static class LoopbackPorts
{
    private const int First = 20000;
    private const int Count = 12000;

    private static int s_next = Random.Shared.Next(Count);

    /// <summary>A loopback port nothing listens on right now and that outgoing connections will not take.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref s_next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port in {First}-{First + Count - 1}.");
    }
}
