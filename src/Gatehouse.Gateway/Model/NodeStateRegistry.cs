using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// Keeps <see cref="NodeState"/> (in-flight counts, health) per (service, node id) across snapshots, so a config
/// reload does not reset what the gateway knows about a node.
/// </summary>
public sealed class NodeStateRegistry
{
    private readonly ConcurrentDictionary<(string Service, string Node), NodeState> _states = new();

    public NodeState GetOrAdd(string service, string nodeId) => GetOrAdd(service, nodeId, out _);

    /// <summary>As <see cref="GetOrAdd(string, string)"/>; <paramref name="added"/> tells whether the node is new to this gateway.</summary>
    public NodeState GetOrAdd(string service, string nodeId, out bool added)
    {
        var key = (service.ToLowerInvariant(), nodeId);
        if (_states.TryGetValue(key, out var existing))
        {
            added = false;
            return existing;
        }

        var created = new NodeState();
        var winner = _states.GetOrAdd(key, created);
        added = ReferenceEquals(winner, created);
        return winner;
    }

    /// <summary>Forgets nodes that the published snapshot no longer has.</summary>
    public void Retain(ConfigSnapshot snapshot)
    {
        var live = new HashSet<(string, string)>();
        foreach (var service in snapshot.Services.Values)
        {
            foreach (var node in service.Nodes)
            {
                live.Add((service.Name.ToLowerInvariant(), node.Id));
            }
        }

        foreach (var key in _states.Keys)
        {
            if (!live.Contains(key))
            {
                _states.TryRemove(key, out _);
            }
        }
    }
}
