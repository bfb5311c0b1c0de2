using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.ZooKeeper;

/// <summary>
/// Keeps registered ephemeral nodes alive across session expiry: an ephemeral node dies with its session, so after
/// the client starts a new session (<see cref="ZooKeeperStateChange.IsNewSession"/>) the keeper creates every
/// registered node again, with its latest data. Reconnects within a session need nothing: the nodes live on.
/// </summary>
/// <remarks>
/// Used by services that announce themselves (<c>/gatehouse/{group}/services/{service}/nodes/{host:port}</c>).
/// A registered path is owned by this keeper: a node left at the path by an older session (for example this
/// process's expired one, not yet removed by the server) is replaced.
/// </remarks>
public sealed class EphemeralNodeKeeper : IAsyncDisposable
{
    private const int MaxReplaceAttempts = 5;

    private readonly ZooKeeperClient _client;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte[]> _nodes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Task _recreation = Task.CompletedTask;

    /// <summary>Starts watching <paramref name="client"/>'s sessions.</summary>
    public EphemeralNodeKeeper(ZooKeeperClient client, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger ?? NullLogger.Instance;
        _client.StateChanged += OnStateChanged;
    }

    /// <summary>Raised (on a pool thread) after the registered nodes were created again in a new session.</summary>
    public event Action<IReadOnlyCollection<string>>? Recreated;

    /// <summary>The registered paths.</summary>
    public IReadOnlyCollection<string> Paths => [.. _nodes.Keys];

    /// <summary>
    /// Registers an ephemeral node and creates it (with any missing persistent parents) in the current session,
    /// retrying through connection losses until <paramref name="cancellationToken"/> says stop.
    /// </summary>
    public async Task RegisterAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        _nodes[path] = data.ToArray();
        await RetryAsync(ct => CreateOwnedAsync(path, cancellationToken: ct), cancellationToken);
    }

    /// <summary>Changes a registered node's data now and for later re-creations.</summary>
    public async Task UpdateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!_nodes.ContainsKey(path))
        {
            throw new InvalidOperationException($"'{path}' is not registered.");
        }

        _nodes[path] = data.ToArray();
        await RetryAsync(ct => CreateOwnedAsync(path, cancellationToken: ct), cancellationToken);
    }

    /// <summary>Forgets a node and deletes it.</summary>
    public async Task UnregisterAsync(string path, CancellationToken cancellationToken = default)
    {
        if (_nodes.TryRemove(path, out _))
        {
            try
            {
                await _client.DeleteAsync(path, cancellationToken: cancellationToken);
            }
            catch (NoNodeException)
            {
            }
        }
    }

    private void OnStateChanged(ZooKeeperStateChange change)
    {
        if (change.State != ZooKeeperState.Connected || !change.IsNewSession || _nodes.IsEmpty || _disposed.IsCancellationRequested)
        {
            return;
        }

        // Not awaited here: state callbacks run on the client's dispatcher, which must keep moving.
        _recreation = Task.Run(() => RecreateAllAsync(_disposed.Token));
    }

    private async Task RecreateAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RetryAsync(async ct =>
            {
                foreach (var path in _nodes.Keys)
                {
                    await CreateOwnedAsync(path, ct);
                }
            }, cancellationToken);
            _logger.LogInformation("Re-created {Count} ephemeral ZooKeeper nodes in session 0x{SessionId:x}.", _nodes.Count, _client.SessionId);
            Recreated?.Invoke(Paths);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Re-creating ephemeral ZooKeeper nodes failed.");
        }
    }

    /// <summary>Creates the node in this session, or brings an existing one of this session up to date.</summary>
    private async Task CreateOwnedAsync(string path, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (!_nodes.TryGetValue(path, out var data))
                {
                    return; // unregistered meanwhile
                }

                try
                {
                    await _client.EnsurePathAsync(PathUtilities.Parent(path), cancellationToken);
                    await _client.CreateAsync(path, data, CreateMode.Ephemeral, cancellationToken);
                    return;
                }
                catch (NodeExistsException) when (attempt < MaxReplaceAttempts)
                {
                    var stat = await _client.ExistsAsync(path, cancellationToken: cancellationToken);
                    if (stat is null)
                    {
                        continue;
                    }

                    if (stat.EphemeralOwner == _client.SessionId)
                    {
                        await _client.SetDataAsync(path, data, cancellationToken: cancellationToken);
                        return;
                    }

                    try
                    {
                        await _client.DeleteAsync(path, stat.Version, cancellationToken);
                    }
                    catch (ZooKeeperException exception) when (exception.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.BadVersion)
                    {
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Retries through the failures that a reconnect cures; anything else is the caller's to see.</summary>
    private static async Task RetryAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await action(cancellationToken);
                return;
            }
            catch (ZooKeeperException exception) when (exception.Code is ZooKeeperErrorCode.ConnectionLoss
                or ZooKeeperErrorCode.OperationTimeout or ZooKeeperErrorCode.SessionExpired && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    /// <summary>Stops re-creating. The nodes themselves end with the session (close the client to remove them now).</summary>
    public async ValueTask DisposeAsync()
    {
        _client.StateChanged -= OnStateChanged;
        _disposed.Cancel();
        try
        {
            await _recreation;
        }
        catch (OperationCanceledException)
        {
        }

        _disposed.Dispose();
    }
}
