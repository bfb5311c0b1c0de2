using Gatehouse.ZooKeeper.Tests.Infrastructure;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The same deploy scenario as <see cref="RegistryScenarioTests"/> with ZooKeeper as the registry, all real processes:
/// demo nodes register ephemeral znodes in a real ZooKeeper, the admin mirrors them into its store, the gateway routes
/// to them, and a node stopped with SIGTERM under load deletes its znode, drains and goes without a failed request.
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperRegistryScenarioTests(ZooKeeperServer zk)
{
    private const string Group = "zkregistry";

    [Fact]
    public async Task ZooKeeperNodes_ReceiveTraffic_GracefulStopUnderLoad_NoFailedRequest()
    {
        await using var cluster = await ScenarioCluster.StartAsync("--Gatehouse:Admin:ZooKeeper:ConnectString", zk.ConnectString);
        await RegistryScenarioTests.GracefulStopUnderLoadAsync(cluster, Group, node =>
            cluster.StartProcess(node, "demo", "--service", "orders", "--port", GatehouseProcess.FreePort().ToString(), "--node", node,
                "--registry", "zookeeper://" + zk.ConnectString, "--group", Group));
        Assert.Contains("ZooKeeper mirror: connected", cluster.AdminProcess.Output, StringComparison.Ordinal);
    }
}
