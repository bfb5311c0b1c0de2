using Gatehouse.Tars.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tars.Client;

/// <summary>Calls functions of Tars servants (the API layer).</summary>
public interface ITarsInvoker
{
    /// <summary>Calls <paramref name="invocation"/> at the server <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <exception cref="TarsConnectException">The server could not be reached; nothing was sent.</exception>
    /// <exception cref="TarsConnectionLostException">The connection broke with the call in flight.</exception>
    /// <exception cref="TarsTimeoutException">No response within <paramref name="timeout"/>.</exception>
    /// <exception cref="TarsReturnCodeException">The server answered with a return code other than 0.</exception>
    /// <exception cref="TarsProtocolException">The server broke the protocol.</exception>
    Task<TarsResponse> InvokeAsync(string host, int port, TarsInvocation invocation, TimeSpan timeout,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// Keeps one multiplexed connection per server (<c>host:port</c>) and re-opens it on the next call after it closed.
/// </summary>
public sealed class TarsInvoker : ITarsInvoker, IAsyncDisposable
{
    private readonly Gatehouse.Rpc.ConnectionPool<TarsConnection> _connections;
    private readonly TarsClientOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates an invoker.</summary>
    public TarsInvoker(TarsClientOptions? options = null, ILogger<TarsInvoker>? logger = null)
    {
        _options = options ?? new TarsClientOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _connections = new((host, port, cancellationToken) => TarsConnection.ConnectAsync(host, port, _options, _logger, cancellationToken));
    }

    /// <inheritdoc/>
    public async Task<TarsResponse> InvokeAsync(string host, int port, TarsInvocation invocation, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(invocation);
        var connection = await GetConnectionAsync(host, port, cancellationToken);
        return await connection.InvokeAsync(invocation, timeout, cancellationToken);
    }

    internal Task<TarsConnection> GetConnectionAsync(string host, int port, CancellationToken cancellationToken) =>
        _connections.GetAsync(host, port, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
