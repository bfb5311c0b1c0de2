using System.Net;
using System.Net.Sockets;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// Sends one probe: GET of the node's health path (2xx and 3xx are healthy), or a TCP connect when it has none.
/// Uses its own connection pool, so probes never queue behind (or take connections from) real traffic.
/// </summary>
internal class HealthProber : IDisposable
{
    private readonly HttpMessageInvoker _client;
    public HealthProber()
    {
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // A short idle life: a pooled probe connection to a node that died must not linger.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 2,
            ActivityHeadersPropagator = null,
        });
    }

    public virtual async Task<bool> ProbeAsync(NodeModel node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (node.HealthPath is { } path)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, node.BaseAddress + path);
                request.Headers.TryAddWithoutValidation("User-Agent", "Gatehouse-HealthCheck");
                using var response = await _client.SendAsync(request, deadline.Token);
                var status = (int)response.StatusCode;
                return status is >= 200 and < 400;
            }

            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(node.Address.Host, node.Address.Port, deadline.Token);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException or IOException)
        {
            // A probe cut short by shutdown is not a failure of the node.
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
