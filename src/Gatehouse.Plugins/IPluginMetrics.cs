namespace Gatehouse.Plugins;

/// <summary>
/// Implemented by a factory whose filters keep counters or gauges of their own: the gateway's <c>/metrics</c> asks it
/// for them on every scrape. Family names must start with <c>gatehouse_plugin_</c>; the gateway adds the
/// <c>group</c> label.
/// </summary>
public interface IPluginMetrics
{
    /// <summary>Writes every family and its samples; called on the scrape's thread, must not block.</summary>
    void WriteMetrics(PluginMetricWriter writer);
}

/// <summary>Prometheus text exposition, as far as a plugin needs it.</summary>
public abstract class PluginMetricWriter
{
    /// <summary>Starts a family: <paramref name="type"/> is <c>counter</c> or <c>gauge</c>. Its samples follow.</summary>
    public abstract void Family(string name, string type, string help);

    /// <summary>One sample of the family just started.</summary>
    public abstract void Sample(string name, ReadOnlySpan<KeyValuePair<string, string>> labels, double value);
}
