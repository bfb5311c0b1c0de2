using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// Sends one probe: GET of the node's health path (2xx and 3xx are healthy), a gRPC health check when that path is
/// <c>/grpc.health.v1.Health/Check</c> (<see cref="Grpc.GrpcHealthProbe"/>), or a TCP connect when it has none.
/// Uses its own connection pool, so probes never queue behind (or take connections from) real traffic.
/// </summary>
/// <remarks>
/// An https node whose service has <c>upstreamTls</c> is probed with the same trust roots and client certificate as its
/// traffic (one probe pool per distinct TLS settings); otherwise an mTLS node would fail every probe. A TCP probe opens
/// no TLS session.
/// </remarks>
internal class HealthProber : IDisposable
{
    private readonly HttpMessageInvoker _client;
    private readonly ConcurrentDictionary<UpstreamTlsSettings, HttpMessageInvoker> _tlsClients = new();
    private readonly Lock _createLock = new();
    private bool _disposed;

    public HealthProber()
    {
        _client = new HttpMessageInvoker(CreateHandler(null));
    }

    private static SocketsHttpHandler CreateHandler(UpstreamTlsSettings? tls)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // A short idle life: a pooled probe connection to a node that died must not linger.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 2,
            ActivityHeadersPropagator = null,
        };
        tls?.Apply(handler);
        return handler;
    }

    /// <summary>The probe client for <paramref name="node"/>: the shared one, or the one for its service's TLS settings.</summary>
    private HttpMessageInvoker ClientFor(NodeModel node)
    {
        if (node.Tls is not { } tls || node.Address.Scheme != Uri.UriSchemeHttps)
        {
            return _client;
        }

        if (_tlsClients.TryGetValue(tls, out var client))
        {
            return client;
        }

        // Like UpstreamClientFactory: few distinct settings, kept until disposal, created once under a lock.
        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_tlsClients.TryGetValue(tls, out client))
            {
                client = new HttpMessageInvoker(CreateHandler(tls));
                _tlsClients[tls] = client;
            }

            return client;
        }
    }

    public virtual async Task<bool> ProbeAsync(NodeModel node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (node.HealthPath is { } path)
            {
                if (Grpc.GrpcHealthProbe.IsGrpcHealthPath(path))
                {
                    return await Grpc.GrpcHealthProbe.ProbeAsync(ClientFor(node), node.BaseAddress, deadline.Token);
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, node.BaseAddress + path);
                request.Headers.TryAddWithoutValidation("User-Agent", "Gatehouse-HealthCheck");
                using var response = await ClientFor(node).SendAsync(request, deadline.Token);
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

    public void Dispose()
    {
        lock (_createLock)
        {
            _disposed = true;
            foreach (var pair in _tlsClients)
            {
                pair.Value.Dispose();
            }

            _tlsClients.Clear();
        }

        _client.Dispose();
    }
}
