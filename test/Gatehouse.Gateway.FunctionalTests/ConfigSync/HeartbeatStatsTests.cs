using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.ConfigSync;

/// <summary>A real gateway against a real admin (both in-process, on loopback): traffic shows up in the admin's statistics.</summary>
public class HeartbeatStatsTests
{
    private const string Token = "stats-test-token";

    [Fact]
    public async Task Heartbeat_CarriesStats_AdminStatsApiShowsTheTraffic()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        var dir = Directory.CreateTempSubdirectory("gatehouse-stats-").FullName;
        var admin = AdminApplication.Create(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                ["Gatehouse:Admin:Database"] = $"Data Source={Path.Combine(dir, "admin.db")}",
                ["Gatehouse:Admin:Token"] = Token,
                ["Gatehouse:ControlSecret"] = Secret,
            }));
        await admin.StartAsync();
        try
        {
            var adminUrl = admin.Urls.First();
            using var api = new HttpClient { BaseAddress = new Uri(adminUrl) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            await Ensure(api.PostAsync("/api/v1/groups", Json("""{"name":"stats"}""")));
            await Ensure(api.PostAsync("/api/v1/groups/stats/services", Json($$"""
                {"name":"s","nodes":[{"id":"blue","address":"{{blue.Address}}"}],"apis":[{"id":"all","path":"/**"}]}
                """)));

            await using var gw = await GatewayTestHost.StartWithAdminAsync(adminUrl, Secret, null,
                "--group", "stats", "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.300");

            // The admin books a node's first report as its baseline, so traffic starts after the node is known.
            await WaitAsync(async () => (await api.GetFromJsonAsync<JsonElement>("/api/v1/groups/stats/gateways")).GetArrayLength() == 1);
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await GetAsync(gw)).Status);
            }

            JsonElement stats = default;
            await WaitAsync(async () =>
            {
                stats = await api.GetFromJsonAsync<JsonElement>("/api/v1/groups/stats/stats?window=1m");
                return stats.GetProperty("total").GetProperty("requests").GetInt64() >= 20;
            });

            Assert.Equal(20, stats.GetProperty("total").GetProperty("requests").GetInt64());
            var entry = Assert.Single(stats.GetProperty("apis").EnumerateArray());
            Assert.Equal("s", entry.GetProperty("service").GetString());
            Assert.Equal("all", entry.GetProperty("api").GetString());
            Assert.Equal(0, entry.GetProperty("stats").GetProperty("errorRate5xx").GetDouble());
            Assert.True(entry.GetProperty("stats").GetProperty("p99Ms").GetDouble() > 0);
            Assert.Equal("gw-test", Assert.Single(stats.GetProperty("nodes").EnumerateArray()).GetProperty("node").GetString());
        }
        finally
        {
            await admin.StopAsync();
            await admin.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task Ensure(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        // Generous: heartbeats go every 300 ms, but a loaded machine can be slow.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(100);
        }
    }
}
