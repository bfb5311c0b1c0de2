using StackExchange.Redis;

namespace Gatehouse.Redis;

/// <summary>
/// <see cref="IRedisClient"/> over one StackExchange.Redis <see cref="ConnectionMultiplexer"/>: one multiplexed
/// connection per server, standalone, Sentinel-managed or Redis Cluster, TLS and ACL as the configuration string
/// says. Commands fail at once while disconnected (<see cref="BacklogPolicy.FailFast"/>).
/// </summary>
public sealed class RedisClient : IRedisClient
{
    private readonly ConfigurationOptions _configuration;
    private readonly object _connectGate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private ConnectionMultiplexer? _multiplexer;
    private IDatabase? _database;
    private int _disposed;

    /// <summary>Creates the client without connecting; see <see cref="ConnectAsync"/>.</summary>
    /// <exception cref="FormatException">The address is not a valid configuration.</exception>
    public RedisClient(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _configuration = options.ToConfiguration();
        Address = _configuration.ToString(includePassword: false);
    }

    /// <inheritdoc/>
    public string Address { get; }

    /// <summary>The multiplexer once connected (for tests and diagnostics); null before.</summary>
    public IConnectionMultiplexer? Multiplexer => Volatile.Read(ref _multiplexer);

    /// <inheritdoc/>
    public bool IsConnected => Volatile.Read(ref _multiplexer)?.IsConnected == true;

    /// <inheritdoc/>
    public event Action<Exception>? ConnectionLost;

    /// <inheritdoc/>
    public event Action? ConnectionRestored;

    /// <inheritdoc/>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        Task<ConnectionMultiplexer> connecting;
        lock (_connectGate)
        {
            connecting = _connecting ??= CreateAsync();
        }

        var multiplexer = await connecting.WaitAsync(cancellationToken);
        if (!multiplexer.IsConnected)
        {
            throw new RedisNotConnectedException(
                $"No Redis server answered at {Address} within {_configuration.ConnectTimeout} ms; still trying");
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// This is the availability probe, so it answers "can every key be served?": on a cluster a primary that owns
    /// slots and is not connected fails it, so shared limits stay on their fallback until a replica has taken the
    /// slots over, rather than flapping between Redis and the fallback. While any server is disconnected the
    /// topology is read again first (the client otherwise rereads it once a minute), which is how a promoted
    /// replica, or the primary a Sentinel names after a failover, is found.
    /// </remarks>
    public async Task PingAsync()
    {
        var multiplexer = Require();
        var endpoints = multiplexer.GetEndPoints();
        foreach (var endpoint in endpoints)
        {
            if (!multiplexer.GetServer(endpoint).IsConnected)
            {
                await multiplexer.ConfigureAsync();
                endpoints = multiplexer.GetEndPoints();
                break;
            }
        }

        ClusterConfiguration? cluster = null;
        foreach (var endpoint in endpoints)
        {
            var server = multiplexer.GetServer(endpoint);
            if (server.IsConnected && server.ServerType == ServerType.Cluster)
            {
                cluster = server.ClusterConfiguration;
                break;
            }
        }

        var pinged = 0;
        foreach (var endpoint in endpoints)
        {
            var server = multiplexer.GetServer(endpoint);
            if (cluster is not null)
            {
                var node = cluster[endpoint];
                if (node is null || node.IsReplica || node.Slots.Count == 0)
                {
                    continue;
                }

                if (!server.IsConnected)
                {
                    throw new RedisNotConnectedException($"The Redis Cluster primary {endpoint} serves slots and is not connected");
                }
            }
            else if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            await server.PingAsync();
            pinged++;
        }

        if (pinged == 0)
        {
            throw new RedisNotConnectedException($"No Redis primary is connected at {Address}");
        }
    }

    /// <inheritdoc/>
    public Task<bool> SetIfNotExistsAsync(string key, string value, TimeSpan ttl) =>
        Database().StringSetAsync(key, value, ttl, When.NotExists);

    /// <inheritdoc/>
    public async Task<long[]> EvalAsync(RedisScript script, string key, RedisScriptArgs args)
    {
        var result = await Database().ScriptEvaluateAsync(script.Source, [key], args.Values);
        return (long[])result!;
    }

    /// <inheritdoc/>
    public async Task LoadScriptsAsync(params RedisScript[] scripts)
    {
        var multiplexer = Require();
        foreach (var endpoint in multiplexer.GetEndPoints())
        {
            var server = multiplexer.GetServer(endpoint);
            if (server.IsConnected && !server.IsReplica)
            {
                foreach (var script in scripts)
                {
                    await server.ScriptLoadAsync(script.Source);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Task<ConnectionMultiplexer>? connecting;
        lock (_connectGate)
        {
            connecting = _connecting;
        }

        if (connecting is not null)
        {
            try
            {
                var multiplexer = await connecting;
                await multiplexer.CloseAsync(allowCommandsToComplete: false);
                await multiplexer.DisposeAsync();
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // Closing a client that never connected: nothing to release.
            }
        }
    }

    private async Task<ConnectionMultiplexer> CreateAsync()
    {
        // Not given to the connect: a cancelled first caller must not cancel the connection others share.
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration);
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                ConnectionLost?.Invoke(e.Exception ?? new RedisNotConnectedException($"Connection to {e.EndPoint} failed: {e.FailureType}"));
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                ConnectionRestored?.Invoke();
            }
        };
        Volatile.Write(ref _database, multiplexer.GetDatabase());
        Volatile.Write(ref _multiplexer, multiplexer);
        return multiplexer;
    }

    private ConnectionMultiplexer Require() =>
        Volatile.Read(ref _multiplexer)
        ?? throw new RedisNotConnectedException($"Not connected to Redis at {Address} yet");

    private IDatabase Database() =>
        Volatile.Read(ref _database)
        ?? throw new RedisNotConnectedException($"Not connected to Redis at {Address} yet");
}

/// <summary>No server connection to send a command on: not connected yet, or none answered the connect.</summary>
public sealed class RedisNotConnectedException(string message) : Exception(message);
