using System.Collections.Concurrent;

namespace Gatehouse.Admin.Monitoring;

/// <summary>A plugin folder a gateway reports in trouble: <c>failed</c> (with the error) or <c>removed</c> while still named.</summary>
internal sealed record PluginProblemReport(string? Folder, string? State, string? Error);

/// <summary>
/// The plugin problems each gateway reported with its last heartbeat, shown with the gateway in the group's gateway list.
/// Kept in memory like the node health: as fresh as the last heartbeat.
/// </summary>
internal sealed class PluginProblemStore
{
    private readonly ConcurrentDictionary<(string Group, string Gateway), IReadOnlyList<PluginProblemReport>> _reports = new();

    /// <summary>Records a heartbeat's plugin part; a heartbeat without one (no plugins directory) clears what was known.</summary>
    public void Ingest(string group, string gateway, IReadOnlyList<PluginProblemReport>? plugins)
    {
        if (plugins is null)
        {
            _reports.TryRemove((group, gateway), out _);
            return;
        }

        _reports[(group, gateway)] = plugins;
    }

    /// <summary>The gateway's last reported problems; null when it reports no plugins directory.</summary>
    public IReadOnlyList<PluginProblemReport>? Get(string group, string gateway) => _reports.GetValueOrDefault((group, gateway));
}
