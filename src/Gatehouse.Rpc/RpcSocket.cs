using System.Net.Sockets;

namespace Gatehouse.Rpc;

/// <summary>Opening the TCP connection of an RPC client.</summary>
public static class RpcSocket
{
    /// <summary>
    /// Connects a no-delay TCP socket to <paramref name="host"/>:<paramref name="port"/> within
    /// <paramref name="connectTimeout"/>. A refusal or the timeout becomes the protocol's exception, made by
    /// <paramref name="fail"/> from a message naming <paramref name="scheme"/>://host:port; the caller's own
    /// cancellation is rethrown as it is.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string scheme, string host, int port, TimeSpan connectTimeout,
        Func<string, Exception, Exception> fail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fail);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw fail(e is OperationCanceledException
                ? $"connecting to {scheme}://{host}:{port} timed out after {connectTimeout.TotalMilliseconds:0} ms"
                : $"cannot connect to {scheme}://{host}:{port}: {e.Message}", e);
        }
    }
}
