using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// Immutable runtime form of an upstream node within one compiled snapshot. Counters and health that must
/// outlive a config swap live in <see cref="State"/>, which the compiler carries over by node id.
/// </summary>
public sealed class NodeModel
{
    public NodeModel(string serviceName, string id, Uri address, int weight, string? loc, bool online,
        string[] gray, UpstreamProtocol protocol, NodeState state, string? version = null)
    {
        ServiceName = serviceName;
        Id = id;
        Address = address;
        // Kept without a trailing slash so the forwarder can append the request path directly.
        BaseAddress = address.GetLeftPart(UriPartial.Path).TrimEnd('/');
        Weight = weight;
        Loc = loc;
        Online = online;
        Gray = gray;
        Protocol = protocol;
        State = state;
        Version = version;
    }

    public string ServiceName { get; }

    public string Id { get; }

    public Uri Address { get; }

    /// <summary><c>scheme://host:port[/prefix]</c>, no trailing slash.</summary>
    public string BaseAddress { get; }

    public int Weight { get; }

    public string? Loc { get; }

    public bool Online { get; }

    /// <summary>Gray tags; empty for an ordinary node.</summary>
    public string[] Gray { get; }

    public UpstreamProtocol Protocol { get; }

    /// <summary>Release version the node runs, for blue-green and version canaries; null when not given.</summary>
    public string? Version { get; }

    public NodeState State { get; }

    /// <summary>
    /// True when the registry marked the node's lease expired; such a node is also not <see cref="Online"/>. Kept apart
    /// only so route explanations can tell an operator's switch from a missed heartbeat; the request path never reads it.
    /// </summary>
    public bool RegistryExpired { get; init; }

    /// <summary>Path active probes GET on this node (its own <c>healthPath</c>, else the service's); null: TCP connect probe.</summary>
    public string? HealthPath { get; init; }

    /// <summary>The health settings of the node's service in this snapshot (passive rules read on the request path).</summary>
    public Health.ServiceHealthPolicy Health { get; init; } = Gatehouse.Gateway.Health.ServiceHealthPolicy.Default;

    /// <summary>The service's upstream TLS (custom roots, client certificate), so health probes connect like traffic does; null: defaults.</summary>
    internal Forwarding.UpstreamTlsSettings? Tls { get; init; }

    /// <summary>
    /// The weight balancers use: <see cref="Weight"/>, scaled down while the node is in slow start (at least 1 for a
    /// node with weight). Read when a balancer is built, never per request.
    /// </summary>
    public int EffectiveWeight
    {
        get
        {
            var percent = State.WeightPercent;
            return percent >= 100 || Weight == 0 ? Weight : Math.Max(1, (int)((long)Weight * percent / 100));
        }
    }

    public override string ToString() => $"{ServiceName}/{Id}";
}

/// <summary>Mutable per-node runtime state shared by every snapshot that contains the node.</summary>
/// <remarks>Health counters (passive checks, last success, slow start) are in NodeState.Health.cs.</remarks>
public sealed partial class NodeState
{
    private int _inFlight;
    private volatile bool _healthy = true;

    /// <summary>Requests currently forwarded to this node (read by least-in-flight balancing).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool Healthy => _healthy;

    /// <summary>Attempt and failure counters of this node, kept across reloads with the rest of its state.</summary>
    public Observability.NodeMetrics Metrics { get; } = new();

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Set by health checking; returns true when the value changed.</summary>
    public bool SetHealthy(bool healthy)
    {
        if (_healthy == healthy)
        {
            return false;
        }

        _healthy = healthy;
        return true;
    }
}
