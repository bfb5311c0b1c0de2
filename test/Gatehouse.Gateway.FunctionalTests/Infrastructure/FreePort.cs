using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port nothing listens on right now (the OS picks it, so parallel tests do not collide).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
