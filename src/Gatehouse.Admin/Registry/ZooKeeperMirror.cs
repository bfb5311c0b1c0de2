using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Gatehouse.Admin.Storage;
using Gatehouse.ZooKeeper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// Mirrors the ZooKeeper registry into the store: <c>/gatehouse/{group}/services/{service}/nodes/{host:port}</c>
/// ephemeral znodes become nodes of source <c>zooKeeper</c>, and a znode that goes away (deregistered, session closed
/// or expired) takes its node out of the config.
/// </summary>
/// <remarks>
/// Three levels of <see cref="ChildrenWatcher"/> (groups, services per group, nodes per service) keep a copy of the
/// tree, re-armed across reconnects and session expiry. Their callbacks only raise a signal; one loop waits out the
/// debounce, brings the watcher tree in line with the groups and services it sees, and writes every group whose
/// ZooKeeper content differs from what it last wrote, through <see cref="RegistryService.MirrorZooKeeperAsync"/>: the
/// same validation, versions, audit, push and operator-offline rule as HTTP registrations. The first pass also runs
/// for every group in the store, which removes ZooKeeper nodes that vanished while no admin was mirroring.
/// While ZooKeeper is unreachable the store keeps what it had: an outage of the registry is not an outage of nodes.
/// </remarks>
internal sealed partial class ZooKeeperMirror(IServiceScopeFactory scopes, IOptions<AdminOptions> options, ILogger<ZooKeeperMirror> logger)
    : BackgroundService
{
    private readonly Channel<bool> _signal = ZooKeeperMirrorSetup.CreateSignal();
    private readonly Dictionary<string, GroupWatch> _groups = new(StringComparer.Ordinal);

    // Per group, a digest of the ZooKeeper content last written successfully: an unchanged group is not written again.
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);

    // Per znode path, the data last mirrored: a node's APIs are merged when it is new or its data changed.
    private readonly Dictionary<string, byte[]> _seen = new(StringComparer.Ordinal);

    // Problems already logged (bad znode data, unknown group, refused write), so a standing problem is logged once.
    private readonly HashSet<string> _logged = new(StringComparer.Ordinal);
    private ChildrenWatcher? _root;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.ZooKeeper;
        if (string.IsNullOrWhiteSpace(o.ConnectString))
        {
            return;
        }

        await using var client = await ZooKeeperMirrorSetup.ConnectAsync(RegistryLayout.ConnectString(o.ConnectString), o.SessionTimeout, logger,
            (connect, session) => LogConnected(logger, connect, session), (connect, reason) => LogUnreachable(logger, connect, reason),
            stoppingToken);
        if (client is null)
        {
            return;
        }

        try
        {
            _root = new ChildrenWatcher(client, RegistryLayout.Root, _ => Signal(), logger);
            await _root.StartAsync(stoppingToken);
            Signal();
            while (!stoppingToken.IsCancellationRequested)
            {
                await WaitForWorkAsync(o, stoppingToken);
                await Task.Delay(o.Debounce, stoppingToken);
                _signal.Reader.TryRead(out _);
                await PassAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopWatchersAsync();
        }
    }

    private void Signal() => _signal.Writer.TryWrite(true);

    private async Task WaitForWorkAsync(ZooKeeperMirrorOptions o, CancellationToken stoppingToken)
    {
        using var resync = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        resync.CancelAfter(o.ResyncInterval);
        try
        {
            await _signal.Reader.WaitToReadAsync(resync.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Resync: compare again even without a change (failed writes, groups created since).
            _applied.Clear();
        }
    }

    /// <summary>One pass: follow the tree's shape, then write each group whose content changed.</summary>
    private async Task PassAsync(ZooKeeperClient client, CancellationToken ct)
    {
        try
        {
            await FollowTreeAsync(client, ct);
            await using var scope = scopes.CreateAsyncScope();
            var stored = await scope.ServiceProvider.GetRequiredService<AdminDbContext>().Groups.Select(g => g.Name).ToListAsync(ct);
            foreach (var group in _groups.Keys.Concat(stored).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                await MirrorGroupAsync(scope.ServiceProvider, group, ct);
            }

            LogOnceCleared("pass");
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            // The store or ZooKeeper failed mid-pass: try again soon (the resync clears what was written).
            if (LogOnce("pass"))
            {
                LogPassFailed(logger, exception);
            }

            _applied.Clear();
            _ = Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => Signal(), TaskScheduler.Default);
        }
    }

    private async Task MirrorGroupAsync(IServiceProvider services, string group, CancellationToken ct)
    {
        var (mirrored, digest) = Read(group);
        if (_applied.TryGetValue(group, out var applied) && applied == digest)
        {
            return;
        }

        var registry = services.GetRequiredService<RegistryService>();
        if (!await registry.GroupExistsAsync(group, ct))
        {
            if (LogOnce($"group:{group}"))
            {
                LogUnknownGroup(logger, group);
            }

            return;
        }

        var result = await registry.MirrorZooKeeperAsync(group, mirrored, ct);
        if (result.Problem is not null)
        {
            var problem = ZooKeeperMirrorSetup.Describe(result.Problem);
            if (LogOnce($"write:{group}:{problem}"))
            {
                LogRefused(logger, group, problem);
            }

            return;
        }

        _applied[group] = digest;
        var prefix = $"{RegistryLayout.Root}/{group}/";
        foreach (var path in _seen.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            _seen.Remove(path);
        }

        if (_groups.TryGetValue(group, out var watch))
        {
            foreach (var (service, nodes) in watch.Nodes)
            {
                foreach (var (name, data) in nodes.Current)
                {
                    _seen[RegistryLayout.Node(group, service, name)] = data;
                }
            }
        }
    }

    /// <summary>The group's ZooKeeper content as registrations, and a digest of it.</summary>
    private (MirroredGroup Group, string Digest) Read(string group)
    {
        var services = new Dictionary<string, IReadOnlyList<MirroredNode>>(StringComparer.Ordinal);
        var unreadable = new HashSet<(string, string)>();
        var digest = new StringBuilder();
        if (_groups.TryGetValue(group, out var watch))
        {
            foreach (var (service, watcher) in watch.Nodes.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var nodes = new List<MirroredNode>();
                digest.Append('/').Append(service);
                foreach (var (name, data) in watcher.Current.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var path = RegistryLayout.Node(group, service, name);
                    digest.Append(' ').Append(name).Append('=').Append(Convert.ToHexString(SHA256.HashData(data)));
                    if (ZooKeeperNodeData.Parse(group, service, name, data, out var request) is { } problem)
                    {
                        unreadable.Add((service, name));
                        if (LogOnce($"node:{path}:{Convert.ToHexString(SHA256.HashData(data))}"))
                        {
                            LogBadNode(logger, path, problem);
                        }

                        continue;
                    }

                    var seen = _seen.TryGetValue(path, out var before) && before.AsSpan().SequenceEqual(data);
                    nodes.Add(new MirroredNode(request!, ReportApis: !seen));
                }

                services[service] = nodes;
            }
        }

        return (new MirroredGroup(services, unreadable), digest.ToString());
    }

    /// <summary>Starts watchers for groups and services that appeared, stops those of ones that went away.</summary>
    private async Task FollowTreeAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var groups = _root!.Current.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _groups.Keys.Where(g => !groups.Contains(g)).ToList())
        {
            await _groups[gone].DisposeAsync();
            _groups.Remove(gone);
        }

        foreach (var group in groups)
        {
            if (!_groups.TryGetValue(group, out var watch))
            {
                var services = new ChildrenWatcher(client, RegistryLayout.Services(group), _ => Signal(), logger);
                await services.StartAsync(ct);
                _groups[group] = watch = new GroupWatch(services);
            }

            var names = watch.Services.Current.Keys.ToHashSet(StringComparer.Ordinal);
            foreach (var gone in watch.Nodes.Keys.Where(s => !names.Contains(s)).ToList())
            {
                await watch.Nodes[gone].DisposeAsync();
                watch.Nodes.Remove(gone);
            }

            foreach (var service in names.Where(s => !watch.Nodes.ContainsKey(s)))
            {
                var nodes = new ChildrenWatcher(client, RegistryLayout.Nodes(group, service), _ => Signal(), logger);
                await nodes.StartAsync(ct);
                watch.Nodes[service] = nodes;
            }
        }
    }

    private async Task StopWatchersAsync()
    {
        foreach (var watch in _groups.Values)
        {
            await watch.DisposeAsync();
        }

        _groups.Clear();
        if (_root is not null)
        {
            await _root.DisposeAsync();
        }
    }

    private bool LogOnce(string key) => _logged.Add(key);

    private void LogOnceCleared(string key) => _logged.Remove(key);

    private sealed class GroupWatch(ChildrenWatcher services) : IAsyncDisposable
    {
        public ChildrenWatcher Services { get; } = services;

        public Dictionary<string, ChildrenWatcher> Nodes { get; } = new(StringComparer.Ordinal);

        public async ValueTask DisposeAsync()
        {
            foreach (var nodes in Nodes.Values)
            {
                await nodes.DisposeAsync();
            }

            await Services.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "ZooKeeper mirror: connected to {ConnectString} (session 0x{SessionId:x})")]
    private static partial void LogConnected(ILogger logger, string connectString, long sessionId);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning,
        Message = "ZooKeeper mirror: no server of {ConnectString} answers ({Reason}); retrying with backoff, the store keeps its nodes meanwhile")]
    private static partial void LogUnreachable(ILogger logger, string connectString, string reason);

    [LoggerMessage(EventId = 52, Level = LogLevel.Warning,
        Message = "ZooKeeper mirror: group {Group} has nodes in ZooKeeper but does not exist in the admin; skipped until an operator creates it")]
    private static partial void LogUnknownGroup(ILogger logger, string group);

    [LoggerMessage(EventId = 53, Level = LogLevel.Warning, Message = "ZooKeeper mirror: znode {Path} is skipped: {Problem}")]
    private static partial void LogBadNode(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 54, Level = LogLevel.Warning, Message = "ZooKeeper mirror: group {Group} was not written (nothing of it applied): {Problem}")]
    private static partial void LogRefused(ILogger logger, string group, string problem);

    [LoggerMessage(EventId = 55, Level = LogLevel.Warning, Message = "ZooKeeper mirror: a pass failed; retrying")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
