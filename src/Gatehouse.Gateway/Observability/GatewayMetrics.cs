using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// Owns the gateway's metric cells and its <see cref="Meter"/> (<c>Gatehouse.Gateway</c>). Cells are kept per
/// (service, API id) across config reloads and forgotten only when a published snapshot no longer has the API.
/// The Prometheus endpoint reads the cells directly; OpenTelemetry readers see them through observable
/// instruments, plus two synchronous histograms recorded only while a listener has enabled them.
/// </summary>
internal sealed partial class GatewayMetrics : IDisposable
{
    public const string MeterName = "Gatehouse.Gateway";

    private readonly ConcurrentDictionary<(string Service, string Api), ApiMetrics> _apis = new();
    private readonly SnapshotState? _state;
    private readonly Meter _meter;
    private readonly MeterListener? _kestrelListener;
    private long _kestrelConnections;

    /// <param name="group">The gateway group, a label on every request series.</param>
    /// <param name="state">Snapshot holder: node series are read from the snapshot in force; cells of APIs a
    /// published snapshot dropped are forgotten. Null in unit tests.</param>
    /// <param name="meterFactory">Creates the meter (and scopes the Kestrel listener to this host); null creates an unscoped meter.</param>
    public GatewayMetrics(string group, SnapshotState? state = null, IMeterFactory? meterFactory = null)
    {
        Group = group;
        _state = state;
        Unmatched = new ApiMetrics("", "");
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ServerDuration = _meter.CreateHistogram<double>("http.server.request.duration", "s",
            "Time the gateway took to answer, per service, API and status class.");
        UpstreamDuration = _meter.CreateHistogram<double>("http.client.request.duration", "s",
            "Time of each upstream attempt, per service, API and node.");
        CreateObservableInstruments();
        CreatePluginInstruments();
        if (meterFactory is not null)
        {
            _kestrelListener = ListenToKestrel(meterFactory);
        }

        if (state is not null)
        {
            state.Published += Retain;
        }
    }

    public string Group { get; }

    /// <summary>Cells for requests that matched no API (no config, unknown service, unknown API, header limits).</summary>
    public ApiMetrics Unmatched { get; }

    /// <summary>Recorded only when <see cref="Instrument.Enabled"/> (an OpenTelemetry reader is attached).</summary>
    internal Histogram<double> ServerDuration { get; }

    internal Histogram<double> UpstreamDuration { get; }

    /// <summary>Active connections on this host's Kestrel listeners (traffic and control), from Kestrel's own meter.</summary>
    internal long KestrelConnections => Volatile.Read(ref _kestrelConnections);

    internal SnapshotState? State => _state;

    /// <summary>The cells of one API; called when a snapshot is compiled, never per request.</summary>
    public ApiMetrics GetOrAdd(string service, string apiId) =>
        _apis.GetOrAdd((service.ToLowerInvariant(), apiId), static key => new ApiMetrics(key.Service, key.Api));

    /// <summary>Every API's cells, for the exposition (order not defined).</summary>
    internal ICollection<ApiMetrics> Apis => _apis.Values;

    /// <summary>Forgets the cells of APIs the published snapshot no longer has (series end, as in Prometheus).</summary>
    internal void Retain(ConfigSnapshot snapshot)
    {
        var live = new HashSet<(string, string)>();
        foreach (var service in snapshot.Services.Values)
        {
            foreach (var api in service.Apis)
            {
                live.Add((service.Name.ToLowerInvariant(), api.Id));
            }
        }

        foreach (var key in _apis.Keys)
        {
            if (!live.Contains(key))
            {
                _apis.TryRemove(key, out _);
            }
        }
    }

    private MeterListener ListenToKestrel(IMeterFactory factory)
    {
        // Kestrel's meters come from the host's IMeterFactory, so comparing Scope keeps two gateways in one process
        // (tests) apart. Kestrel records connection starts and stops only while an instrument is enabled.
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel"
                    && ReferenceEquals(instrument.Meter.Scope, factory)
                    && instrument.Name == "kestrel.active_connections")
                {
                    l.EnableMeasurementEvents(instrument, this);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, _, state) =>
            Interlocked.Add(ref ((GatewayMetrics)state!)._kestrelConnections, value));
        listener.Start();
        return listener;
    }

    public void Dispose()
    {
        if (_state is not null)
        {
            _state.Published -= Retain;
        }

        _kestrelListener?.Dispose();
        _meter.Dispose();
    }
}
