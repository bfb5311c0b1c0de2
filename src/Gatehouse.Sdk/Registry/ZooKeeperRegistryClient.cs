using System.Text.Json;
using Gatehouse.ZooKeeper;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Sdk.Registry;

/// <summary>
/// ZooKeeper as the registry: the node is the ephemeral znode
/// <c>/gatehouse/{group}/services/{service}/nodes/{host:port}</c> holding the instance (APIs included) as JSON.
/// </summary>
/// <remarks>
/// The ZooKeeper session is the heartbeat: the znode lives as long as the session, and the
/// <see cref="EphemeralNodeKeeper"/> creates it again in a new session after an expiry. <see cref="HeartbeatAsync"/>
/// only checks that this is so (connected, znode present), so the lifecycle's "unreachable / reachable again" logging
/// and re-registration work as with the HTTP registry. The client connects lazily, so a ZooKeeper that is down at start
/// is retried with the lifecycle's backoff instead of failing the service.
/// </remarks>
public sealed class ZooKeeperRegistryClient : IRegistryClient, IDisposable, IAsyncDisposable
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    private readonly ZooKeeperClientOptions _options;
    private readonly TimeSpan _callTimeout;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ZooKeeperClient? _client;
    private EphemeralNodeKeeper? _keeper;
    private int _disposed;

    /// <param name="connectString">The ensemble: <c>host:port[,host:port][/chroot]</c> (a <c>zookeeper://</c> prefix is allowed).</param>
    /// <param name="sessionTimeout">Requested session timeout: how long after a crash the node still looks alive.</param>
    /// <param name="callTimeout">How long one register / heartbeat / deregister may wait for ZooKeeper.</param>
    /// <param name="logger">Where the client logs connection and session changes.</param>
    public ZooKeeperRegistryClient(string connectString, TimeSpan sessionTimeout, TimeSpan callTimeout, ILogger? logger = null)
    {
        var connect = RegistryLayout.ConnectString(connectString);
        _ = ConnectionString.Parse(connect); // a malformed address is a deployment error: fail at start
        _callTimeout = callTimeout;
        _options = new ZooKeeperClientOptions
        {
            ConnectString = connect,
            SessionTimeout = sessionTimeout,
            RequestTimeout = callTimeout,
            Logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
        };
    }

    /// <summary>The connected client (null before the first successful registration); tests use it to break the session.</summary>
    public ZooKeeperClient? Client => _client;

    /// <summary>The znode path of <paramref name="instance"/>.</summary>
    public static string PathOf(ServiceInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return RegistryLayout.Node(instance.Group, instance.Service, instance.NodeId);
    }

    /// <summary>The znode's data: the fields of the HTTP registration body except group and service (the path says those).</summary>
    public static byte[] Serialize(ServiceInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            scheme = instance.Scheme,
            host = instance.Host,
            port = instance.Port,
            weight = instance.Weight,
            loc = instance.Loc,
            gray = instance.Gray,
            version = instance.Version,
            metadata = instance.Metadata,
            healthPath = instance.HealthPath,
            apis = instance.Apis.Select(a => new { methods = a.Methods, path = a.Path, matchKind = a.MatchKind }),
        }, _json);
    }

    public async Task RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        var keeper = await ConnectAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_callTimeout);
        try
        {
            // Creates missing persistent parents, replaces a znode an older session of ours left behind, and
            // re-creates the node after every session expiry from now on.
            await keeper.RegisterAsync(PathOf(instance), Serialize(instance), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"ZooKeeper did not take the registration within {_callTimeout} (state {_client?.State}).");
        }
    }

    public async Task<HeartbeatStatus> HeartbeatAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        var client = _client;
        if (client is null)
        {
            return HeartbeatStatus.NotRegistered;
        }

        if (client.State != ZooKeeperState.Connected)
        {
            // The session may still be alive (the znode with it); the lifecycle logs this once and retries.
            throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, null, $"not connected to ZooKeeper (state {client.State})");
        }

        // Someone deleted the znode (or a re-creation after expiry is still under way): registering again is idempotent.
        var stat = await client.ExistsAsync(PathOf(instance), cancellationToken: cancellationToken);
        return stat is null ? HeartbeatStatus.NotRegistered : HeartbeatStatus.Renewed;
    }

    public async Task DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        if (_keeper is { } keeper)
        {
            await keeper.UnregisterAsync(PathOf(instance), cancellationToken);
        }
    }

    private async Task<EphemeralNodeKeeper> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_keeper is { } keeper)
        {
            return keeper;
        }

        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_keeper is null)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_callTimeout);
                try
                {
                    _client = await ZooKeeperClient.ConnectAsync(_options, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no ZooKeeper server of '{_options.ConnectString}' accepted a session within {_callTimeout}");
                }

                _keeper = new EphemeralNodeKeeper(_client, _options.Logger);
            }

            return _keeper;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Closes the session: ZooKeeper removes the node's znode at once if deregistering did not.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host may dispose the lifecycle (and so this client) more than once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_keeper is { } keeper)
        {
            await keeper.DisposeAsync();
        }

        if (_client is { } client)
        {
            await client.DisposeAsync();
        }

        _connectGate.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Provides <see cref="ZooKeeperRegistryClient"/> for <see cref="GatehouseOptions.ZooKeeperRegistry"/>.</summary>
internal sealed class ZooKeeperRegistryClientProvider(ILoggerFactory loggers) : IRegistryClientProvider
{
    public string Kind => GatehouseOptions.ZooKeeperRegistry;

    public IRegistryClient Create(GatehouseOptions options) =>
        new ZooKeeperRegistryClient(options.Address, options.ZooKeeperSessionTimeout, TimeSpan.FromSeconds(5),
            loggers.CreateLogger("Gatehouse.Sdk.ZooKeeper"));
}
