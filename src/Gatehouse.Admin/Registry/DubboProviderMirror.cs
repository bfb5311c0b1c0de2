using System.Text;
using System.Threading.Channels;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Gatehouse.Dubbo.Registry;
using Gatehouse.ZooKeeper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// Mirrors Dubbo providers registered in ZooKeeper in Dubbo's own layout (<c>/dubbo/{interface}/providers/{URL-encoded
/// provider URL}</c>, ephemeral znodes written by the providers) into the nodes of the services that declare
/// <c>discovery.dubbo</c>: each matching provider becomes a <c>source: dubbo</c> node <c>dubbo://host:port</c> with the
/// URL's weight and version, and a provider whose znode goes (unregistered, session closed or expired) leaves.
/// </summary>
/// <remarks>
/// The services' discovery blocks are read from the store every <see cref="DubboDiscoveryOptions.PollInterval"/> (so a
/// block written through any admin is seen); one <see cref="ChildrenWatcher"/> per declared interface keeps the
/// providers. Callbacks only raise a signal; the loop waits out the debounce and writes every group whose wanted nodes
/// differ from what it last wrote, through <see cref="RegistryService.MirrorDubboAsync"/>: validated, versioned,
/// audited and pushed like any change. While ZooKeeper is unreachable the watchers keep their last view, so the store
/// keeps its nodes.
/// </remarks>
internal sealed partial class DubboProviderMirror(IServiceScopeFactory scopes, IOptions<AdminOptions> options, ILogger<DubboProviderMirror> logger)
    : BackgroundService
{
    private readonly Channel<bool> _signal = ZooKeeperMirrorSetup.CreateSignal();
    private readonly Dictionary<string, ChildrenWatcher> _watchers = new(StringComparer.Ordinal);

    // Per group, a description of the nodes last written successfully: an unchanged group is not written again.
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly HashSet<string> _logged = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var admin = options.Value;
        var o = admin.Dubbo;
        var connect = string.IsNullOrWhiteSpace(o.ConnectString) ? admin.ZooKeeper.ConnectString : o.ConnectString;
        if (string.IsNullOrWhiteSpace(connect))
        {
            return;
        }

        await using var client = await ZooKeeperMirrorSetup.ConnectAsync(RegistryLayout.ConnectString(connect), o.SessionTimeout, logger,
            (connectString, session) => LogConnected(logger, connectString, o.Root, session),
            (connectString, reason) => LogUnreachable(logger, connectString, reason), stoppingToken);
        if (client is null)
        {
            return;
        }

        var lastResync = DateTime.UtcNow;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow - lastResync >= o.ResyncInterval)
                {
                    _applied.Clear();
                    lastResync = DateTime.UtcNow;
                }

                await PassAsync(client, o, stoppingToken);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(o.PollInterval);
                try
                {
                    await _signal.Reader.WaitToReadAsync(wait.Token);
                    await Task.Delay(o.Debounce, stoppingToken);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The poll interval passed without a provider change: look at the discovery blocks again.
                }

                _signal.Reader.TryRead(out _);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var watcher in _watchers.Values)
            {
                await watcher.DisposeAsync();
            }

            _watchers.Clear();
        }
    }

    private void Signal() => _signal.Writer.TryWrite(true);

    /// <summary>One pass: read the discovery blocks, follow them with watchers, write each group whose nodes changed.</summary>
    private async Task PassAsync(ZooKeeperClient client, DubboDiscoveryOptions o, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var declarations = await ReadDeclarationsAsync(scope.ServiceProvider.GetRequiredService<AdminDbContext>(), ct);
            await FollowInterfacesAsync(client, o.Root, declarations, ct);
            foreach (var (group, services) in declarations)
            {
                var (discovered, digest) = Discover(services);
                if (_applied.TryGetValue(group, out var applied) && applied == digest)
                {
                    continue;
                }

                var result = await scope.ServiceProvider.GetRequiredService<RegistryService>().MirrorDubboAsync(group, discovered, ct);
                if (result.Problem is not null)
                {
                    if (_logged.Add($"write:{group}:{digest}"))
                    {
                        LogRefused(logger, group, ZooKeeperMirrorSetup.Describe(result.Problem));
                    }

                    continue;
                }

                _applied[group] = digest;
            }

            _logged.Remove("pass");
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            if (_logged.Add("pass"))
            {
                LogPassFailed(logger, exception);
            }

            _applied.Clear();
        }
    }

    /// <summary>
    /// Per group, the services that declare Dubbo discovery (with their block) or still hold <c>dubbo</c> nodes (with
    /// null: theirs are to be removed). Only services whose JSON mentions Dubbo are read in full.
    /// </summary>
    private static async Task<SortedDictionary<string, List<(string Service, DubboDiscoveryConfig? Discovery)>>> ReadDeclarationsAsync(
        AdminDbContext db, CancellationToken ct)
    {
        var rows = await db.Services.AsNoTracking().Where(s => s.Json.Contains("dubbo")).Select(s => new { s.Group, s.Json }).ToListAsync(ct);
        var result = new SortedDictionary<string, List<(string, DubboDiscoveryConfig?)>>(StringComparer.Ordinal);
        foreach (var row in rows.OrderBy(r => r.Group, StringComparer.Ordinal))
        {
            var service = GroupDraft.ReadService(row.Json);
            var discovery = service.Discovery?.Dubbo;
            if (discovery is null && service.Nodes.All(n => n.Source != NodeSource.Dubbo))
            {
                continue;
            }

            if (!result.TryGetValue(row.Group, out var list))
            {
                result[row.Group] = list = [];
            }

            list.Add((service.Name, discovery));
        }

        foreach (var list in result.Values)
        {
            list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        }

        return result;
    }

    /// <summary>Starts a watcher for each interface some service declares, stops those no service declares any more.</summary>
    private async Task FollowInterfacesAsync(ZooKeeperClient client, string root,
        SortedDictionary<string, List<(string Service, DubboDiscoveryConfig? Discovery)>> declarations, CancellationToken ct)
    {
        var interfaces = declarations.Values.SelectMany(l => l).Where(s => s.Discovery is not null)
            .Select(s => s.Discovery!.Interface).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _watchers.Keys.Where(i => !interfaces.Contains(i)).ToList())
        {
            await _watchers[gone].DisposeAsync();
            _watchers.Remove(gone);
        }

        foreach (var name in interfaces.Where(i => !_watchers.ContainsKey(i)))
        {
            var watcher = new ChildrenWatcher(client, $"{root.TrimEnd('/')}/{name}/providers", _ => Signal(), logger);
            await watcher.StartAsync(ct);
            _watchers[name] = watcher;
        }
    }

    /// <summary>The providers each declaring service matches, and a digest of the group's wanted state.</summary>
    private (Dictionary<string, DiscoveredService> Services, string Digest) Discover(List<(string Service, DubboDiscoveryConfig? Discovery)> services)
    {
        var result = new Dictionary<string, DiscoveredService>(StringComparer.Ordinal);
        var digest = new StringBuilder();
        foreach (var (service, discovery) in services)
        {
            digest.Append('|').Append(service);
            if (discovery is null || !_watchers.TryGetValue(discovery.Interface, out var watcher))
            {
                continue;
            }

            var providers = new SortedDictionary<string, DiscoveredProvider>(StringComparer.Ordinal);
            foreach (var name in watcher.Current.Keys.Order(StringComparer.Ordinal))
            {
                if (Read(discovery, name) is not { } provider)
                {
                    continue;
                }

                // One node per host:port: a provider exporting the interface in several matching groups or versions
                // registers one URL for each; the node takes the largest weight among them.
                if (!providers.TryGetValue(provider.NodeId, out var other) || provider.Weight > other.Weight)
                {
                    providers[provider.NodeId] = provider;
                }
            }

            digest.Append('=').Append(discovery);
            foreach (var provider in providers.Values)
            {
                digest.Append(' ').Append(provider);
            }

            result[service] = new DiscoveredService(discovery, providers.Values.ToList());
        }

        return (result, digest.ToString());
    }

    /// <summary>The provider a znode describes when it matches <paramref name="discovery"/>; null when it does not or cannot be read.</summary>
    private DiscoveredProvider? Read(DubboDiscoveryConfig discovery, string name)
    {
        if (DubboProviderUrl.TryParseZNodeName(name, out var url) is { } problem)
        {
            Skip(discovery.Interface, name, problem);
            return null;
        }

        if (!DubboConsumerMatch.Matches(url!, discovery.Interface, discovery.Version, discovery.Group))
        {
            return null;
        }

        if (!string.Equals(url!.Protocol, NodeIdentity.DubboScheme, StringComparison.OrdinalIgnoreCase))
        {
            Skip(discovery.Interface, name, $"protocol '{url.Protocol}' is not dubbo; the gateway calls Dubbo 2 providers only");
            return null;
        }

        // The node id as the config computes it from the address (host lower-cased, IPv6 in brackets).
        if (url.Port == 0 || NodeIdentity.EffectiveId(new NodeConfig { Address = $"{NodeIdentity.DubboScheme}://{url.HostPort}" }) is not { } nodeId)
        {
            Skip(discovery.Interface, name, $"'{url.HostPort}' is not a host:port");
            return null;
        }

        if (url.Weight is not { } weight)
        {
            Skip(discovery.Interface, name, $"weight '{url.Parameter("weight")}' is not a whole number");
            return null;
        }

        return new DiscoveredProvider(nodeId, Math.Min(weight, 10_000),
            url.Version is null or "0.0.0" ? null : url.Version, url.Group, url.Parameter("application"));
    }

    private void Skip(string interfaceName, string name, string problem)
    {
        if (_logged.Add($"skip:{interfaceName}:{name}"))
        {
            LogSkipped(logger, interfaceName, name, problem);
        }
    }

    [LoggerMessage(EventId = 70, Level = LogLevel.Information,
        Message = "Dubbo discovery: connected to {ConnectString}, registry root {Root} (session 0x{SessionId:x})")]
    private static partial void LogConnected(ILogger logger, string connectString, string root, long sessionId);

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning,
        Message = "Dubbo discovery: no server of {ConnectString} answers ({Reason}); retrying with backoff, the store keeps its nodes meanwhile")]
    private static partial void LogUnreachable(ILogger logger, string connectString, string reason);

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "Dubbo discovery: a provider of {Interface} is skipped ({Problem}): {ZNode}")]
    private static partial void LogSkipped(ILogger logger, string @interface, string zNode, string problem);

    [LoggerMessage(EventId = 73, Level = LogLevel.Warning, Message = "Dubbo discovery: group {Group} was not written (nothing of it applied): {Problem}")]
    private static partial void LogRefused(ILogger logger, string group, string problem);

    [LoggerMessage(EventId = 74, Level = LogLevel.Warning, Message = "Dubbo discovery: a pass failed; retrying")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
