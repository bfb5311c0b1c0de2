using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>A gateway in admin mode reports its plugin problems with its heartbeat; the admin's gateway list shows them.</summary>
public class PluginHeartbeatTests
{
    private const string Token = "plugins-test-token";

    [Fact]
    public async Task FailedPlugin_ReportedInHeartbeat_ShownInTheAdminsGatewayList()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("stamp-v1", "stamp");
        Directory.CreateDirectory(Path.Combine(plugins.Path, "bad"));
        await File.WriteAllBytesAsync(Path.Combine(plugins.Path, "bad", "bad.dll"), "MZ not an assembly"u8.ToArray());
        await using var blue = await EchoBackend.StartAsync("blue");
        var dir = Directory.CreateTempSubdirectory("gatehouse-plugins-admin-").FullName;
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
            using var api = new HttpClient { BaseAddress = new Uri(admin.Urls.First()) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using (var created = await api.PostAsync("/api/v1/groups", new StringContent("""{"name":"p"}""", Encoding.UTF8, "application/json")))
            {
                Assert.True(created.IsSuccessStatusCode);
            }

            await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Urls.First(), Secret, null,
                ["--group", "p", "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.300", .. plugins.GatewayArgs]);

            JsonElement reported = default;
            await GatewayTestHost.WaitUntilAsync(async () =>
            {
                var gateways = await api.GetFromJsonAsync<JsonElement>("/api/v1/groups/p/gateways");
                // The admin records the node before the heartbeat's plugin part: a poll in between sees no "plugins" yet.
                if (gateways.GetArrayLength() != 1 || !gateways[0].TryGetProperty("plugins", out var listed) || listed.ValueKind != JsonValueKind.Array)
                {
                    return false;
                }

                reported = listed;
                return reported.GetArrayLength() > 0;
            }, TimeSpan.FromSeconds(20), "the admin never showed the gateway's plugin problem");

            var problem = Assert.Single(reported.EnumerateArray());
            Assert.Equal("bad", problem.GetProperty("folder").GetString());
            Assert.Equal("failed", problem.GetProperty("state").GetString());
            Assert.Contains("not a loadable .NET assembly", problem.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await admin.StopAsync();
            await admin.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
