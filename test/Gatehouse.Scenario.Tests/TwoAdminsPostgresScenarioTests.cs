using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Testing;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The production shape of the control plane: two real admin processes on one real PostgreSQL, three gateways in two
/// groups given both admins (in different orders, so each admin is the one in use of some gateway). Traffic runs
/// through every gateway and config writes through both admins, concurrently; then one admin is killed with SIGKILL.
/// </summary>
public sealed class TwoAdminsPostgresScenarioTests(ITestOutputHelper output)
{
    private const string Token = "scenario-admin-token";
    private const string Secret = "scenario-control-secret";
    private static readonly string[] Groups = ["pg-a", "pg-b"];

    [Fact]
    public async Task TwoAdminsOnPostgres_OneKilledUnderTrafficAndWrites_NoFailedRequest_NoLostWrite_EveryGatewayConverges()
    {
        await using var postgres = await PostgresProcess.StartAsync();
        await postgres.CreateDatabaseAsync("gatehouse");
        var dir = Directory.CreateTempSubdirectory("gatehouse-pg-admins-").FullName;
        await using var processes = new ProcessSet();
        var patience = TimeSpan.FromSeconds(30);

        var adminUrls = new[] { $"http://127.0.0.1:{GatehouseProcess.FreePort()}", $"http://127.0.0.1:{GatehouseProcess.FreePort()}" };
        var admins = adminUrls.Select(url => new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) }).ToArray();
        foreach (var admin in admins)
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        // One after the other: the first migrates the empty database, the second finds it migrated.
        var adminProcesses = new GatehouseProcess[2];
        for (var i = 0; i < 2; i++)
        {
            adminProcesses[i] = processes.Start($"admin-{i + 1}", "admin", "--urls", adminUrls[i],
                "--Gatehouse:Admin:Provider", "postgres", "--Gatehouse:Admin:Database", postgres.ConnectionString("gatehouse"),
                "--Gatehouse:Admin:Token", Token, "--Gatehouse:ControlSecret", Secret);
            var admin = admins[i];
            await processes.WaitAsync(async () => await ProcessSet.StatusAsync(admin, "/healthz") == HttpStatusCode.OK, $"admin-{i + 1} up", patience);
        }

        var demoPort = GatehouseProcess.FreePort();
        processes.Start("demo", "demo", "--service", "orders", "--port", demoPort.ToString(), "--node", "orders-1");
        foreach (var group in Groups)
        {
            await PostAsync(admins[0], "/api/v1/groups", $$"""{"name":"{{group}}"}""");
            await PostAsync(admins[0], $"/api/v1/groups/{group}/services",
                $$"""{"name":"orders","nodes":[{"id":"orders-1","address":"http://127.0.0.1:{{demoPort}}"}],"apis":[{"id":"all","path":"/**"}]}""");
        }

        // gw-a2 uses admin-2 first, the others admin-1. The timed pull is a minute away: only pushes deliver changes.
        var gateways = new[] { ("gw-a1", Groups[0], 0), ("gw-a2", Groups[0], 1), ("gw-b1", Groups[1], 0) }.Select(g =>
        {
            var (id, group, first) = g;
            var gateway = new ScenarioGateway(id, GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
            gateway.Process = processes.Start(id, "gateway", "--admin", $"{adminUrls[first]},{adminUrls[1 - first]}", "--group", group,
                "--port", gateway.Port.ToString(), "--control-port", gateway.ControlPort.ToString(), "--listen", "127.0.0.1", "--node-id", id,
                "--Gatehouse:ControlSecret", Secret, "--Gatehouse:Gateway:SnapshotPath", Path.Combine(dir, $"snapshot-{id}.json"),
                "--Gatehouse:Gateway:PullInterval", "00:01:00", "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.500");
            return (Gateway: gateway, Group: group);
        }).ToArray();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        async Task<long> LatestAsync(HttpClient admin, string group)
        {
            var groups = await admin.GetFromJsonAsync<JsonElement>("/api/v1/groups");
            return groups.EnumerateArray().Single(g => g.GetProperty("name").GetString() == group).GetProperty("version").GetInt64();
        }

        async Task<bool> LiveEverywhereAsync(string nodeId, string group) =>
            (await admins[1].GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/gateways")).EnumerateArray()
                .Any(n => n.GetProperty("nodeId").GetString() == nodeId && n.GetProperty("live").GetBoolean());

        foreach (var (gateway, group) in gateways)
        {
            var version = await LatestAsync(admins[0], group);
            await processes.WaitAsync(async () => await ProcessSet.GatewayVersionAsync(probe, gateway.ControlPort) >= version,
                $"{gateway.NodeId} applied version {version}", patience);
            await processes.WaitAsync(() => LiveEverywhereAsync(gateway.NodeId, group), $"{gateway.NodeId} known to the store", patience);
        }

        // :: Any admin pushes to every gateway of the group: a write through admin-1 reaches gw-a2, whose admin is admin-2,
        // and one through admin-2 reaches gw-b1, whose admin is admin-1 (no timed pull within the test).
        foreach (var (via, gateway, group) in new[] { (0, gateways[1].Gateway, Groups[0]), (1, gateways[2].Gateway, Groups[1]) })
        {
            await PostAsync(admins[via], $"/api/v1/groups/{group}/services", ServiceBody($"cross-{via}", demoPort));
            var version = await LatestAsync(admins[via], group);
            var clock = Stopwatch.StartNew();
            await processes.WaitAsync(async () => await ProcessSet.GatewayVersionAsync(probe, gateway.ControlPort) >= version,
                $"{gateway.NodeId} applied version {version} written through admin-{via + 1}", TimeSpan.FromSeconds(10));
            output.WriteLine($"written through admin-{via + 1}, applied by {gateway.NodeId} (other admin in use) after {clock.ElapsedMilliseconds} ms");
        }

        // :: Traffic through every gateway; writes through both admins at once (the admin-1 writer moves to admin-2 once
        // admin-1 is gone, as a client with both URLs would).
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var failures = new ConcurrentQueue<string>();
        var served = 0;
        using var stop = new CancellationTokenSource();
        using var stopLoad = new CancellationTokenSource();
        var load = gateways.SelectMany(g => Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{g.Gateway.Port}/orders/42");
                    request.Headers.Add("serviceName", "orders");
                    using var response = await client.SendAsync(request);
                    await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref served);
                    }
                    else
                    {
                        failures.Enqueue($"{g.Gateway.NodeId}: {(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue($"{g.Gateway.NodeId}: {ex.Message}");
                }
            }
        }))).ToArray();

        var acknowledged = new ConcurrentBag<(string Group, string Name)>();
        var refused = new ConcurrentQueue<string>();
        var unanswered = 0;
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            var via = w;
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var (group, name) = (Groups[i % 2], $"w{w}-{i}");
                try
                {
                    using var response = await admins[via].PostAsync($"/api/v1/groups/{group}/services", ScenarioCluster.Json(ServiceBody(name, demoPort)));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((group, name));
                    }
                    else
                    {
                        refused.Enqueue($"admin-{via + 1} {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                {
                    // The admin died under this write: not acknowledged, so it may or may not have been committed.
                    Interlocked.Increment(ref unanswered);
                    via = 1;
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var beforeKill = acknowledged.Count;
        await adminProcesses[0].KillAsync();
                await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        var writesStopped = Stopwatch.StartNew();

        // :: Every gateway converges through the survivor on the latest version of its group.
        var latest = new Dictionary<string, long>();
        foreach (var group in Groups)
        {
            latest[group] = await LatestAsync(admins[1], group);
        }

        foreach (var (gateway, group) in gateways)
        {
            await Eventually.WaitUntilAsync(async () => await ProcessSet.GatewayVersionAsync(probe, gateway.ControlPort) >= latest[group],
                $"{gateway.NodeId} applies version {latest[group]} of {group} through admin-2");
        }

        var converged = writesStopped.Elapsed;
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(failures.IsEmpty, $"{failures.Count} failed proxied request(s), e.g. {failures.FirstOrDefault()}\n{processes.Logs()}");
        Assert.True(refused.IsEmpty, $"{refused.Count} write(s) refused, e.g. {refused.FirstOrDefault()}");
        Assert.True(acknowledged.Count > beforeKill && beforeKill > 0, $"writes before the kill: {beforeKill}, in all: {acknowledged.Count}");

        // :: No acknowledged write is lost: each is in its group's final config as the survivor serves it.
        foreach (var group in Groups)
        {
            var exported = await admins[1].GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/export");
            var names = exported.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToHashSet();
            var missing = acknowledged.Where(a => a.Group == group && !names.Contains(a.Name)).Select(a => a.Name).ToList();
            Assert.True(missing.Count == 0, $"acknowledged but missing from {group}: {string.Join(", ", missing)}");
        }

        // The gateways that used admin-1 moved to admin-2, and admin-2 lists every gateway as live and current.
        foreach (var (gateway, _) in gateways.Where(g => g.Gateway.NodeId != "gw-a2"))
        {
            Assert.Contains("now go to admin " + adminUrls[1], gateway.Process.Output, StringComparison.Ordinal);
        }

        foreach (var (gateway, group) in gateways)
        {
            await Eventually.WaitUntilAsync(async () =>
                (await admins[1].GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/gateways")).EnumerateArray()
                    .Any(n => n.GetProperty("nodeId").GetString() == gateway.NodeId && n.GetProperty("current").GetBoolean()),
                $"admin-2 lists {gateway.NodeId} as current");
        }

        output.WriteLine($"{served} proxied requests, {failures.Count} failed; {acknowledged.Count} writes acknowledged ({beforeKill} before the kill), "
            + $"{unanswered} unanswered by the killed admin, 0 lost; every gateway on its group's latest version {converged.TotalMilliseconds:0} ms after the last write");
        foreach (var admin in admins)
        {
            admin.Dispose();
        }

        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static string ServiceBody(string name, int port) =>
        $$"""{"name":"{{name}}","nodes":[{"id":"{{name}}-1","address":"http://127.0.0.1:{{port}}"}],"apis":[{"id":"all","path":"/{{name}}/**"}]}""";

    private static async Task PostAsync(HttpClient admin, string path, string json)
    {
        using var response = await admin.PostAsync(path, ScenarioCluster.Json(json));
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
