using System.Collections.Concurrent;
using System.Text.Json;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>
/// Creates <see cref="CachePlugin"/>. The stores and counters live here, not in the filters: a new config snapshot
/// (a node registering is one) recreates every filter, and must not empty the cache. APIs whose settings name the
/// same <c>zone</c> and <c>maxBytes</c> share one store and its memory bound, as nginx's keys_zone.
/// </summary>
internal sealed class CachePluginFactory : IGatewayPluginFactory, IPluginMetrics
{
    private readonly ConcurrentDictionary<(string Zone, long MaxBytes), CacheStore> _stores = new();
    private readonly CacheCounters _counters = new();

    public string Name => "cache";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        CacheSettings.Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings)
    {
        var parsed = CacheSettings.Read(settings, new SettingsReader());
        var store = _stores.GetOrAdd((parsed.Zone, parsed.MaxBytes), key => new CacheStore(key.MaxBytes));
        return new CachePlugin(parsed, store, _counters);
    }

    public void WriteMetrics(PluginMetricWriter writer)
    {
        writer.Family("gatehouse_plugin_cache_requests_total", "counter",
            "GET and HEAD requests seen by the cache filter, per service, API and result (hit, miss, bypass: the request said no-store).");
        foreach (var ((service, api), cell) in _counters.All)
        {
            Sample(writer, service, api, "hit", cell.Hits);
            Sample(writer, service, api, "miss", cell.Misses);
            Sample(writer, service, api, "bypass", cell.Bypasses);
        }

        writer.Family("gatehouse_plugin_cache_bytes", "gauge", "Bytes held by each cache zone, as counted against its maxBytes.");
        foreach (var ((zone, maxBytes), store) in _stores)
        {
            writer.Sample("gatehouse_plugin_cache_bytes",
                [new("zone", zone), new("max_bytes", maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))], store.Bytes);
        }
    }

    private static void Sample(PluginMetricWriter writer, string service, string api, string result, long value) =>
        writer.Sample("gatehouse_plugin_cache_requests_total", [new("service", service), new("api", api), new("result", result)], value);
}
