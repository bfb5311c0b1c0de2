using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gatehouse.Gateway.Observability;

internal sealed partial class GatewayMetrics
{
    private readonly ConcurrentDictionary<(string Plugin, string Phase), PluginFailureCell> _pluginFailures = new();

    /// <summary>The failure counter of one plugin and phase; taken when a snapshot is compiled, never per request.</summary>
    public PluginFailureCell GetPluginFailures(string plugin, string phase) =>
        _pluginFailures.GetOrAdd((plugin, phase), static _ => new PluginFailureCell());

    /// <summary>Every plugin failure counter that exists, for the exposition (order not defined).</summary>
    internal IEnumerable<KeyValuePair<(string Plugin, string Phase), PluginFailureCell>> PluginFailures => _pluginFailures;

    private void CreatePluginInstruments() =>
        _meter.CreateObservableCounter("gatehouse.plugin.failures", ObservePluginFailures, "{failure}",
            "Plugin filters that threw, per plugin and phase (request: answered 500 plugin_failed).");

    private IEnumerable<Measurement<long>> ObservePluginFailures()
    {
        foreach (var ((plugin, phase), cell) in _pluginFailures)
        {
            yield return new Measurement<long>(cell.Count, Tag("plugin", plugin), Tag("phase", phase));
        }
    }
}

/// <summary>A counter of plugin failures; kept across snapshots, like the per-API cells.</summary>
internal sealed class PluginFailureCell
{
    private long _count;

    public long Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);
}
