using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// Keeps <see cref="NodeState"/> (in-flight counts, health) per (service, node id) across snapshots, so a config
/// reload does not reset what the gateway knows about a node.
/// </summary>
public sealed class NodeStateRegistry
{
    private readonly ConcurrentDictionary<(string Service, string Node), NodeState> _states = new();

    public NodeState GetOrAdd(string service, string nodeId) =>
        _states.GetOrAdd((service.ToLowerInvariant(), nodeId), static _ => new NodeState());

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
