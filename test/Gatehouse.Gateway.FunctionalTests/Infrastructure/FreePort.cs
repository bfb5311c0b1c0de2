using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port nothing listens on right now; see <see cref="Gatehouse.Testing.LoopbackPorts"/>.</summary>
    public static int Next() => Gatehouse.Testing.LoopbackPorts.Next();
}
