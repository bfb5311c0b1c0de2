using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Testing;
using Gatehouse.ZooKeeper.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// Two real admins on one PostgreSQL, both mirroring one ZooKeeper (every admin runs the mirror; nothing elects one):
/// each change of the registry is published once, not once per admin, and resync passes of both admins write nothing.
/// </summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class TwoAdminsZooKeeperMirrorScenarioTests(ZooKeeperServer zk, ITestOutputHelper output)
{
    private const string Token = "scenario-admin-token";
    private const string Group = "zkmirror2";
    private const string MirrorSummary = "registry: mirror ZooKeeper";

    [Fact]
    public async Task TwoAdminsMirrorOneZooKeeper_EachChangePublishedOnce_ResyncsWriteNothing()
    {
        await using var postgres = await PostgresProcess.StartAsync();
        await postgres.CreateDatabaseAsync("gatehouse");
        await using var processes = new ProcessSet();
        var patience = TimeSpan.FromSeconds(30);
        var admins = new HttpClient[2];
        var adminProcesses = new GatehouseProcess[2];
        for (var i = 0; i < 2; i++)
        {
            var url = $"http://127.0.0.1:{GatehouseProcess.FreePort()}";
            // A 2 s resync: both admins re-compare the whole tree several times while the test watches for writes.
            adminProcesses[i] = processes.Start($"admin-{i + 1}", "admin", "--urls", url,
                "--Gatehouse:Admin:Provider", "postgres", "--Gatehouse:Admin:Database", postgres.ConnectionString("gatehouse"),
                "--Gatehouse:Admin:Token", Token, "--Gatehouse:ControlSecret", "scenario-control-secret",
                "--Gatehouse:Admin:ZooKeeper:ConnectString", zk.ConnectString, "--Gatehouse:Admin:ZooKeeper:ResyncInterval", "00:00:02");
            var admin = admins[i] = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            await processes.WaitAsync(async () => await ProcessSet.StatusAsync(admin, "/healthz") == HttpStatusCode.OK, $"admin-{i + 1} up", patience);
        }

        using (var created = await admins[0].PostAsync("/api/v1/groups", ScenarioCluster.Json($$"""{"name":"{{Group}}"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        foreach (var process in adminProcesses)
        {
            await processes.WaitAsync(() => Task.FromResult(process.Output.Contains("ZooKeeper mirror: connected", StringComparison.Ordinal)),
                $"{process.Name} mirrors ZooKeeper", patience);
        }

        var nodes = new[] { "zk2-1", "zk2-2" }.Select(node => processes.Start(node, "demo", "--service", "orders",
            "--port", GatehouseProcess.FreePort().ToString(), "--node", node, "--registry", "zookeeper://" + zk.ConnectString, "--group", Group)).ToArray();
        await processes.WaitAsync(async () => (await NodeIdsAsync(admins[1])).Count == 2, "both nodes mirrored", patience);
        var settled = await SettleAsync(admins);

        // Both admins see the same tree and keep re-comparing it: nothing more is written.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(settled, await LatestAsync(admins[0]));
        Assert.Equal(settled, await LatestAsync(admins[1]));

        // One node leaves (SIGTERM: the SDK deletes its znode): one more version, and again nothing after it.
        await nodes[0].StopGracefullyAsync(TimeSpan.FromSeconds(20));
        await Eventually.WaitUntilAsync(async () => (await NodeIdsAsync(admins[1])).Count == 1, "the node that left is removed");
        var afterLeave = await SettleAsync(admins);
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(afterLeave, await LatestAsync(admins[0]));
        Assert.Equal(afterLeave, await LatestAsync(admins[1]));

        // Every version is a change: no mirror version repeats the node set of the one before (a duplicate write by
        // the other admin). A set may come back legitimately (zk2-2 registered first: [zk2-2], both, then [zk2-2]
        // after zk2-1 leaves); flapping is bounded by the count of mirror versions below.
        var versions = (await admins[1].GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/versions?limit=100"))
            .GetProperty("items").EnumerateArray().Select(v => (Version: v.GetProperty("version").GetInt64(), Summary: v.GetProperty("summary").GetString()))
            .OrderBy(v => v.Version).ToList();
        var sets = new List<string>();
        foreach (var (version, summary) in versions)
        {
            var config = (await admins[1].GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/versions/{version}")).GetProperty("config");
            var ids = config.TryGetProperty("services", out var services)
                ? services.EnumerateArray().Where(s => s.GetProperty("name").GetString() == "orders")
                    .SelectMany(s => s.GetProperty("nodes").EnumerateArray()).Select(NodeKey).Order().ToList()
                : [];
            var set = string.Join(",", ids);
            Assert.True(summary != MirrorSummary || sets.Count == 0 || sets[^1] != set,
                $"version {version} ({summary}) repeats the node set of the version before, '{set}': {string.Join(" | ", sets)}");
            sets.Add(set);
        }

        var mirrorVersions = versions.Count(v => v.Summary == MirrorSummary);
        Assert.InRange(mirrorVersions, 2, 3); // the two joins (one version if mirrored together) and the leave
        output.WriteLine($"versions: {string.Join(" -> ", versions.Select((v, i) => $"{v.Version} [{sets[i]}]"))}; {mirrorVersions} written by the mirrors");
        foreach (var admin in admins)
        {
            admin.Dispose();
        }
    }

    private static async Task<long> LatestAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("/api/v1/groups")).EnumerateArray()
            .Single(g => g.GetProperty("name").GetString() == Group).GetProperty("version").GetInt64();

    private static async Task<HashSet<string>> NodeIdsAsync(HttpClient admin)
    {
        var config = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/export");
        return config.TryGetProperty("services", out var services)
            ? services.EnumerateArray().SelectMany(s => s.GetProperty("nodes").EnumerateArray()).Select(NodeKey).ToHashSet()
            : [];
    }

    /// <summary>A registered node is known by its address when it has no explicit id.</summary>
    private static string NodeKey(JsonElement node) =>
        (node.TryGetProperty("id", out var id) ? id.GetString() : node.GetProperty("address").GetString()) ?? "";

    /// <summary>Waits until both admins report the same version twice, a second apart; returns it.</summary>
    private static async Task<long> SettleAsync(HttpClient[] admins)
    {
        long last = -1;
        long settled = 0;
        await Eventually.WaitUntilAsync(async () =>
        {
            var (a, b) = (await LatestAsync(admins[0]), await LatestAsync(admins[1]));
            var done = a == b && a == last;
            (last, settled) = (a, a);
            if (!done)
            {
                await Task.Delay(1000);
            }

            return done;
        }, "the group's version settles");
        return settled;
    }
}
