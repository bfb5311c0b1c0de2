using Gatehouse.Dubbo.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Dubbo.Client;

/// <summary>Calls methods of Dubbo providers (the API layer).</summary>
public interface IDubboInvoker
{
    /// <summary>Calls <paramref name="invocation"/> at the provider <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <exception cref="DubboConnectException">The provider could not be reached; nothing was sent.</exception>
    /// <exception cref="DubboConnectionLostException">The connection broke with the call in flight.</exception>
    /// <exception cref="DubboTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="DubboStatusException">The provider answered with a status other than 20.</exception>
    /// <exception cref="DubboProtocolException">The provider's response could not be decoded.</exception>
    Task<DubboResponse> InvokeAsync(string host, int port, DubboInvocation invocation, TimeSpan timeout,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// Keeps one multiplexed connection per provider (<c>host:port</c>) and re-opens it on the next call after it closed.
/// </summary>
public sealed class DubboInvoker : IDubboInvoker, IAsyncDisposable
{
    private readonly Gatehouse.Rpc.ConnectionPool<DubboConnection> _connections;
    private readonly DubboClientOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates an invoker.</summary>
    public DubboInvoker(DubboClientOptions? options = null, ILogger<DubboInvoker>? logger = null)
    {
        _options = options ?? new DubboClientOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _connections = new((host, port, cancellationToken) => DubboConnection.ConnectAsync(host, port, _options, _logger, cancellationToken));
    }

    /// <inheritdoc/>
    public async Task<DubboResponse> InvokeAsync(string host, int port, DubboInvocation invocation, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(invocation);
        var connection = await GetConnectionAsync(host, port, cancellationToken);
        return await connection.InvokeAsync(invocation, timeout, cancellationToken);
    }

    internal Task<DubboConnection> GetConnectionAsync(string host, int port, CancellationToken cancellationToken) =>
        _connections.GetAsync(host, port, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
