namespace Gatehouse.Redis.Tests.Infrastructure;

/// <summary>
/// A Redis Cluster of three primaries and three replicas: six redis-server processes with cluster mode on, in a temp
/// dir, joined by <c>redis-cli --cluster create</c>. The node timeout is short so a killed primary fails over in
/// seconds.
/// </summary>
public sealed class RedisCluster : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-redis-cluster-").FullName;
    private readonly List<RedisServer> _nodes = [];

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>A configuration string naming every node (the client discovers the rest from any of them).</summary>
    public string Address => string.Join(',', _nodes.Select(n => n.Address));

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 6; i++)
        {
            // The cluster bus defaults to port + 10000, which lands in the ephemeral range where outgoing connections
            // may hold it: it gets a port of its own from the same reserved range.
            var busPort = RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var node = new RedisServer
            {
                ExtraArgs =
                [
                    "--cluster-enabled", "yes", "--cluster-port", busPort, "--cluster-config-file", "nodes-{port}.conf",
                    "--cluster-node-timeout", "1500", "--dir", _dir,

                    // A replica of an idle primary looks stale to the default validity check and refuses to take
                    // over; tests kill primaries of a cluster that has seen little traffic.
                    "--cluster-replica-validity-factor", "0",
                ],
            };
            _nodes.Add(node);
            await node.InitializeAsync();
        }

        await RedisCli.RunAsync(_nodes[0].Port,
            ["--cluster", "create", .. _nodes.Select(n => n.Address), "--cluster-replicas", "1", "--cluster-yes"]);
        foreach (var node in _nodes)
        {
            await RedisCli.WaitForAsync(node.Port, info => info.Contains("cluster_state:ok", StringComparison.Ordinal),
                $"cluster state ok on {node.Address}", TimeSpan.FromSeconds(30), "cluster", "info");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
