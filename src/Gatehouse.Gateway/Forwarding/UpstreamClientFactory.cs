using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Gateway.Model;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Transport settings of one upstream connection pool. A record, so two snapshots that compile to equal settings
/// share the same pool (value equality is the change detection).
/// </summary>
/// <param name="ConnectTimeout">Limit on establishing one TCP (and TLS) connection.</param>
internal sealed record UpstreamTransportSettings(TimeSpan ConnectTimeout)
{
    /// <summary>Defaults of <see cref="EffectivePolicy.Default"/>.</summary>
    public static UpstreamTransportSettings Default { get; } = new(EffectivePolicy.Default.ConnectTimeout);

    /// <summary>Connections per node (host:port); unlimited by default, like SocketsHttpHandler.</summary>
    public int MaxConnectionsPerServer { get; init; } = int.MaxValue;

    /// <summary>
    /// How long an idle pooled connection is kept. Kept below the 75 s to 120 s keep-alive timeouts common in
    /// upstream servers so that the gateway, not the server, closes idle connections; a server-side close races
    /// with a new request on that connection.
    /// </summary>
    public TimeSpan PooledConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Maximum age of a pooled connection. Bounded so DNS changes of host-named nodes are picked up and long-lived
    /// HTTP/2 connections get rebalanced; one extra handshake per connection per period is negligible.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// TLS towards https nodes (custom roots, client certificate, server name); null: the machine's defaults. Compared by
    /// the fingerprint of its certificates, so equal files give equal settings and share a pool.
    /// </summary>
    public UpstreamTlsSettings? Tls { get; init; }

    /// <summary>Builds the settings for a compiled policy. Call when compiling a snapshot, not per request.</summary>
    public static UpstreamTransportSettings For(EffectivePolicy policy, UpstreamTlsSettings? tls = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (tls is not null)
        {
            return new UpstreamTransportSettings(policy.ConnectTimeout) { Tls = tls };
        }

        return policy.ConnectTimeout == Default.ConnectTimeout ? Default : new UpstreamTransportSettings(policy.ConnectTimeout);
    }
}

/// <summary>
/// Hands out one <see cref="HttpMessageInvoker"/> over one shared <see cref="SocketsHttpHandler"/> per distinct
/// <see cref="UpstreamTransportSettings"/>, so a config reload that leaves the settings unchanged keeps the warm
/// connection pool. Thread-safe; lookups after the first are lock-free.
/// </summary>
/// <remarks>
/// NOTE: invokers are not released when a reload stops using their settings: an in-flight request may still be
/// using one, and the number of distinct settings is small (one per distinct policy). They are disposed with the
/// factory.
/// </remarks>
internal sealed partial class UpstreamClientFactory : IDisposable
{
    private readonly ConcurrentDictionary<UpstreamTransportSettings, HttpMessageInvoker> _invokers = new();
    private readonly Lock _createLock = new();
    private readonly ILogger? _logger;
    private readonly Engine.Upstream.LoopUpstream? _loops;
    private bool _disposed;

    /// <param name="logger">Warns when a pool with certificate verification turned off is created.</param>
    /// <param name="loops">Present when the event loops carry node connections: each pool then has one part per loop.</param>
    public UpstreamClientFactory(ILogger<UpstreamClientFactory>? logger = null, Engine.Upstream.LoopUpstream? loops = null)
    {
        _logger = logger;
        _loops = loops;
    }

    /// <summary>Number of distinct pools created so far.</summary>
    public int Count => _invokers.Count;

    /// <summary>Returns the shared invoker for <paramref name="settings"/>, creating it on first use.</summary>
    public HttpMessageInvoker GetInvoker(UpstreamTransportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (_invokers.TryGetValue(settings, out var invoker))
        {
            return invoker;
        }

        // Created under a lock rather than with GetOrAdd's factory, which may run twice and leak a handler.
        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_invokers.TryGetValue(settings, out invoker))
            {
                var handler = _loops is null ? CreateHandler(settings) : _loops.Wrap(() => CreateHandler(settings));
                invoker = new HttpMessageInvoker(handler, disposeHandler: true);
                if (settings.Tls is { InsecureSkipVerify: true } && _logger is not null)
                {
                    Log.InsecureTls(_logger, settings.Tls.Fingerprint[..12]);
                }

                _invokers[settings] = invoker;
            }

            return invoker;
        }
    }

    /// <summary>Builds the handler; internal so tests can check the settings that matter for proxying.</summary>
    internal static SocketsHttpHandler CreateHandler(UpstreamTransportSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            // A gateway talks to its nodes directly: environment proxies, redirects, cookies and decompression
            // would all change what the client receives.
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // The request handler writes traceparent itself (Observability/RequestObserver); the handler's
            // propagator would start its own Activity and write the header a second time.
            ActivityHeadersPropagator = null,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = settings.ConnectTimeout,
            MaxConnectionsPerServer = settings.MaxConnectionsPerServer,
            PooledConnectionIdleTimeout = settings.PooledConnectionIdleTimeout,
            PooledConnectionLifetime = settings.PooledConnectionLifetime,
        };
        settings.Tls?.Apply(handler);
        return handler;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_createLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var pair in _invokers)
            {
                pair.Value.Dispose();
            }

            _invokers.Clear();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
            Message = "Upstream TLS certificate verification is OFF (insecureSkipVerify) for a connection pool ({Fingerprint}): any certificate is accepted")]
        public static partial void InsecureTls(ILogger logger, string fingerprint);
    }
}
