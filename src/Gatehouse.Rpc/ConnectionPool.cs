using System.Collections.Concurrent;

namespace Gatehouse.Rpc;

/// <summary>A long-lived connection a <see cref="ConnectionPool{TConnection}"/> can hand out until it closes.</summary>
public interface IPooledConnection : IAsyncDisposable
{
    /// <summary>True once the connection has failed or been disposed; it then takes no calls.</summary>
    bool IsClosed { get; }
}

/// <summary>
/// One multiplexed connection per server (<c>host:port</c>), re-opened by the next call after it closed. One connect
/// attempt is shared by every call that arrives while it runs; a failed attempt is not kept, so the next call tries
/// again.
/// </summary>
/// <typeparam name="TConnection">The protocol's connection.</typeparam>
/// <param name="connect">Opens a connection to host and port; throws when the server cannot be reached.</param>
public sealed class ConnectionPool<TConnection>(Func<string, int, CancellationToken, Task<TConnection>> connect) : IAsyncDisposable
    where TConnection : class, IPooledConnection
{
    private readonly ConcurrentDictionary<string, Task<TConnection>> _connections = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The open connection to <paramref name="host"/>:<paramref name="port"/>, opening one when there is none.</summary>
    public async Task<TConnection> GetAsync(string host, int port, CancellationToken cancellationToken)
    {
        var key = $"{host}:{port}";
        while (true)
        {
            // Not tied to the caller's token: the attempt is shared, and another caller may still want it.
            var task = _connections.GetOrAdd(key, _ => connect(host, port, CancellationToken.None));
            TConnection connection;
            try
            {
                connection = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (task.IsFaulted || task.IsCanceled)
            {
                _connections.TryRemove(new KeyValuePair<string, Task<TConnection>>(key, task));
                throw;
            }

            if (!connection.IsClosed)
            {
                return connection;
            }

            _connections.TryRemove(new KeyValuePair<string, Task<TConnection>>(key, task));
        }
    }

    /// <summary>Closes every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _connections)
        {
            if (entry.Value.IsCompletedSuccessfully)
            {
                await entry.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        _connections.Clear();
    }
}
