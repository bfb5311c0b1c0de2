using System.Net;

namespace Gatehouse.Redis.Connection;

/// <summary>
/// One place in the pool: keeps a connection open, and after it fails reconnects with exponential backoff
/// (plus jitter, so a pool of gateways does not reconnect in lock step after a Redis restart). While it is
/// down, <see cref="Current"/> is null and callers fail fast instead of queueing behind a dead socket.
/// </summary>
internal sealed class ConnectionSlot
{
    private readonly IReadOnlyList<DnsEndPoint> _endpoints;
    private readonly RedisOptions _options;
    private RedisConnection? _current;

    public ConnectionSlot(IReadOnlyList<DnsEndPoint> endpoints, RedisOptions options)
    {
        _endpoints = endpoints;
        _options = options;
    }

    /// <summary>The live connection, or null while (re)connecting.</summary>
    public RedisConnection? Current
    {
        get
        {
            var current = Volatile.Read(ref _current);
            return current is { IsAlive: true } ? current : null;
        }
    }

    /// <summary>Why the last connect attempt failed; named in the exception callers get meanwhile.</summary>
    public string? LastError { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        var delay = _options.ReconnectDelay;
        while (!stopping.IsCancellationRequested)
        {
            var connection = await TryConnectAsync(stopping);
            if (connection is not null)
            {
                delay = _options.ReconnectDelay;
                LastError = null;
                Volatile.Write(ref _current, connection);
                using (stopping.Register(connection.Close))
                {
                    await connection.Closed;
                }

                Volatile.Write(ref _current, null);
                LastError = "connection lost";
                continue; // reconnect at once after a loss; back off only when connecting fails
            }

            try
            {
                var jitter = Random.Shared.NextDouble() * 0.2 + 0.9;
                await Task.Delay(delay * jitter, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    private async Task<RedisConnection?> TryConnectAsync(CancellationToken stopping)
    {
        foreach (var endpoint in _endpoints)
        {
            try
            {
                return await RedisConnection.ConnectAsync(endpoint, _options, stopping);
            }
            catch (RedisConnectionException ex)
            {
                LastError = ex.Message;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return null;
    }
}
