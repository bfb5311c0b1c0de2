using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Hosting;

/// <summary>One port a process is about to listen on, with the command-line option that moves it.</summary>
/// <param name="Address">The address the server will bind.</param>
/// <param name="Port">The port.</param>
/// <param name="Role">What listens there, for the operator (<c>traffic</c>, <c>control</c>, <c>admin</c>).</param>
/// <param name="Option">The option that changes the port, e.g. <c>--control-port</c>.</param>
public sealed record ListenPort(IPAddress Address, int Port, string Role, string Option);

/// <summary>
/// Checks, before a server starts, that every port it will listen on can be bound, so a busy port is reported as one
/// line that names the port and the option that moves it.
/// </summary>
/// <remarks>
/// Kestrel reports a busy port by logging "Unable to start Kestrel" at Critical with the whole exception and stack
/// trace, then throwing; an operator needs neither, only the port and what to change. The check binds and listens
/// exactly as Kestrel would (same address; .NET sets <c>SO_REUSEADDR</c> on both), then lets go. A port taken in the
/// moment between the check and the real bind still fails in Kestrel; hosts catch that too, but its log line has
/// already been written by then.
/// </remarks>
public static class ListenPortCheck
{
    /// <summary>The first port of <paramref name="ports"/> that cannot be bound, with the reason; null when all can.</summary>
    public static string? FindProblem(IEnumerable<ListenPort> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        foreach (var port in ports)
        {
            if (TryBind(port.Address, port.Port) is { } error)
            {
                return Describe(port, error);
            }
        }

        return null;
    }

    /// <summary>The one-line reason <paramref name="port"/> cannot be used, naming the option that moves it.</summary>
    public static string Describe(ListenPort port, SocketError error)
    {
        ArgumentNullException.ThrowIfNull(port);
        var what = error switch
        {
            SocketError.AddressAlreadyInUse => "is already in use",
            SocketError.AccessDenied => "needs privileges this process lacks",
            SocketError.AddressNotAvailable => "cannot be bound: the address is not one of this machine's",
            _ => $"cannot be bound ({error})",
        };
        return $"port {port.Port} ({port.Role}) on {port.Address} {what}; choose another with {port.Option}";
    }

    /// <summary>Whether <paramref name="exception"/> (or an inner one) is a listener's failure to bind a port that is in use.</summary>
    public static bool IsAddressInUse(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    private static SocketError? TryBind(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen();
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
