using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gatehouse.Gateway.Engine.Upstream;

internal sealed partial class LoopUpstreamStream
{
    /// <summary>
    /// Opens a connection to <paramref name="endpoint"/> on <paramref name="loop"/>: each resolved address in turn,
    /// each with a non-blocking connect whose completion the loop reports.
    /// </summary>
    public static async ValueTask<LoopUpstreamStream> ConnectAsync(EventLoop loop, EndPoint endpoint, LoopCounters counters,
        CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        int port;
        switch (endpoint)
        {
            case IPEndPoint ip:
                addresses = [ip.Address];
                port = ip.Port;
                break;
            case DnsEndPoint dns:
                addresses = IPAddress.TryParse(dns.Host, out var literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(dns.Host, cancellationToken).ConfigureAwait(false);
                port = dns.Port;
                break;
            default:
                throw new ArgumentException($"Unsupported endpoint type {endpoint.GetType().Name}.", nameof(endpoint));
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectOneAsync(loop, new IPEndPoint(address, port), counters, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async ValueTask<LoopUpstreamStream> ConnectOneAsync(EventLoop loop, IPEndPoint endpoint, LoopCounters counters,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        LoopUpstreamStream? stream = null;
        try
        {
            socket.NoDelay = true;
            socket.Blocking = false;
            stream = new LoopUpstreamStream(socket, loop, counters);
            var address = endpoint.Serialize();
            var epoch = stream._writable.Epoch;
            var errno = stream.Connect(address);

            // Registered after the connect started: epoll reports a socket that is already connected when it is added.
            loop.Post(stream, LoopWork.Register);
            using (cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((LoopUpstreamStream)s!).WakeAll(), stream) : default)
            {
                while (errno is LinuxNative.EInProgress or LinuxNative.EAlready or LinuxNative.EIntr)
                {
                    await stream._writable.WaitAsync(epoch).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    if (stream._registrationErrno != 0)
                    {
                        throw ToSocketException(stream._registrationErrno);
                    }

                    ObjectDisposedException.ThrowIf(stream._disposed != 0, stream);
                    epoch = stream._writable.Epoch;

                    // Asking again tells the outcome: connected (EISCONN), still in progress, or the connect's error.
                    errno = stream.Connect(address);
                }
            }

            if (errno is not (0 or LinuxNative.EIsConn))
            {
                throw ToSocketException(errno);
            }

            stream._counted = true;
            counters.OnOpened();
            return stream;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private unsafe int Connect(SocketAddress address)
    {
        var added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = address.Buffer.Span)
            {
                return LinuxNative.Connect(Fd, p, address.Size) == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
        }
        finally
        {
            _socket.SafeHandle.DangerousRelease();
        }
    }

    private static SocketException ToSocketException(int errno) => new((int)(errno switch
    {
        LinuxNative.EConnRefused => SocketError.ConnectionRefused,
        LinuxNative.ETimedOut => SocketError.TimedOut,
        LinuxNative.EHostUnreach => SocketError.HostUnreachable,
        LinuxNative.ENetUnreach => SocketError.NetworkUnreachable,
        LinuxNative.EConnReset => SocketError.ConnectionReset,
        _ => SocketError.SocketError,
    }));
}
