using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Gatehouse.ZooKeeper;
using Gatehouse.ZooKeeper.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The registry on a 3-server ZooKeeper ensemble, all real processes: demo nodes register ephemeral znodes through
/// the SDK, the admin mirrors them, the gateway routes to them; the ensemble's leader is killed with SIGKILL under
/// load. The sessions move to the survivors, the znodes stay (same session), the admin writes nothing, the gateway's
/// config does not change and no proxied request fails.
/// </summary>
[Collection(ZooKeeperEnsembleCollection.Name)]
public sealed class ZooKeeperEnsembleScenarioTests(ZooKeeperEnsemble ensemble, ITestOutputHelper output)
{
    private const string Group = "zkensemble";
    private static readonly string[] Nodes = ["orders-a", "orders-b", "orders-c"];

    [Fact]
    public async Task LeaderKilledUnderLoad_SessionsMove_RegistrationsSurvive_NoConfigChange_NoFailedRequest()
    {
        await using var cluster = await ScenarioCluster.StartAsync("--Gatehouse:Admin:ZooKeeper:ConnectString", ensemble.ConnectString);
        await cluster.CreateGroupAsync(Group);
        var gateway = cluster.StartGateway(Group, "gw-zkensemble", TimeSpan.FromSeconds(10));
        await cluster.WaitReadyAsync(Group, gateway, await cluster.AdminVersionAsync(Group));
        var processes = new List<GatehouseProcess>();
        foreach (var node in Nodes)
        {
            processes.Add(cluster.StartProcess(node, "demo", "--service", "orders", "--port", GatehouseProcess.FreePort().ToString(), "--node", node,
                "--registry", "zookeeper://" + ensemble.ConnectString, "--group", Group));
        }

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<string?> NodeAsync()
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/42");
                request.Headers.Add("serviceName", "orders");
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                return response.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.GetProperty("node").GetString() : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        var seen = new HashSet<string>();
        await cluster.WaitAsync(async () =>
        {
            if (await NodeAsync() is { } node)
            {
                seen.Add(node);
            }

            return seen.Count == Nodes.Length;
        }, "traffic through the gateway reaches every registered node");

        // Settled: the admin's version is the gateway's, and stays so (no mirror pass still under way).
        long version = 0;
        await cluster.WaitAsync(async () =>
        {
            var now = await cluster.AdminVersionAsync(Group);
            var settled = now == version && await cluster.GatewayVersionAsync(gateway) == now;
            version = now;
            if (!settled)
            {
                await Task.Delay(1500);
            }

            return settled;
        }, "the group's version settles");

        await using var zk = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = ensemble.ConnectString });
        var owners = await OwnersAsync(zk);
        Assert.Equal(Nodes.Length, owners.Count);

        // Load from four clients; what each request returned, in order, with the time it was answered.
        var clock = Stopwatch.StartNew();
        var failures = new ConcurrentQueue<string>();
        var served = new ConcurrentQueue<(TimeSpan At, string Node)>();
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}/orders/42");
                    request.Headers.Add("serviceName", "orders");
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.IsSuccessStatusCode)
                    {
                        served.Enqueue((clock.Elapsed, JsonDocument.Parse(body).RootElement.GetProperty("node").GetString()!));
                    }
                    else
                    {
                        failures.Enqueue($"{(int)response.StatusCode}: {body}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        // The admin's and the gateway's versions, sampled throughout: any mirror write would show as a new version.
        var versions = new ConcurrentDictionary<long, int>();
        var sampling = Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                versions.AddOrUpdate(await cluster.AdminVersionAsync(Group), 1, (_, n) => n + 1);
                versions.AddOrUpdate(await cluster.GatewayVersionAsync(gateway) ?? -1, 1, (_, n) => n + 1);
                await Task.Delay(100);
            }
        });

        var leader = await ensemble.LeaderAsync();
        Assert.NotEqual(-1, leader);
        TimeSpan killedAt, electedAt;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            killedAt = clock.Elapsed;
            await ensemble.KillAsync(leader);
            await cluster.WaitAsync(async () => await ensemble.LeaderAsync() is var l && l >= 0 && l != leader, "a new leader");
            electedAt = clock.Elapsed;

            // Every client's session was dropped by the election and resumed on a survivor (the SDK's heartbeat and
            // the admin's mirror both read through it); give the processes a few seconds beyond that.
            await Task.Delay(TimeSpan.FromSeconds(4));
            await stopLoad.CancelAsync();
            await Task.WhenAll(load);
            await sampling;

            var logs = cluster.Logs();
            Assert.True(failures.IsEmpty, $"{failures.Count} failed request(s), e.g. {failures.FirstOrDefault()}\n{logs}");

            // The registrations are the same znodes of the same sessions: nothing was re-created.
            Assert.Equal(owners, await OwnersAsync(zk));

            // Nothing was written: one admin version, one gateway version, both the settled one.
            Assert.Equal([version], versions.Keys.Order().ToArray());
            Assert.Equal(version, await cluster.AdminVersionAsync(Group));

            // Routing did not change: every node kept serving after the election.
            var after = served.Where(s => s.At > electedAt).Select(s => s.Node).ToHashSet();
            Assert.Equal(Nodes, after.Order().ToArray());
            // Every session (the admin's mirror, each node's registration) was dropped and resumed, none expired.
            foreach (var process in processes.Append(cluster.AdminProcess))
            {
                Assert.Contains("resumed on", process.Output, StringComparison.Ordinal);
                Assert.DoesNotContain("expired", process.Output, StringComparison.OrdinalIgnoreCase);
            }

            var window = served.Count(s => s.At > killedAt && s.At < electedAt);
            output.WriteLine($"leader zk{leader + 1} killed at {killedAt.TotalMilliseconds:0} ms; new leader after {(electedAt - killedAt).TotalMilliseconds:0} ms");
            output.WriteLine($"proxied requests: {served.Count} served ({window} during the election), {failures.Count} failed");
            output.WriteLine($"registrations: {owners.Count} znodes before, same sessions after; admin/gateway versions seen: {string.Join(", ", versions.Keys)}");
        }
        finally
        {
            await stopLoad.CancelAsync();
            await ensemble.RestartAsync(leader);
        }
    }

    /// <summary>Each registered znode with the session that owns it.</summary>
    private static async Task<Dictionary<string, long>> OwnersAsync(ZooKeeperClient zk)
    {
        var path = RegistryLayout.Nodes(Group, "orders");
        var owners = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var child in (await zk.GetChildrenAsync(path)).Children)
        {
            owners[child] = (await zk.ExistsAsync($"{path}/{child}"))!.EphemeralOwner;
        }

        return owners;
    }
}
