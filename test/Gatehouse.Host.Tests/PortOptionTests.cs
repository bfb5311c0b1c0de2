using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Host.Tests.Infrastructure;
using Gatehouse.Scenario.Tests;
using Gatehouse.Testing;

namespace Gatehouse.Host.Tests;

/// <summary>The port options move what listens, and every existing switch and configuration key still works.</summary>
public sealed class PortOptionTests
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AllInOne_PortOptions_EveryPartListensWhereTold()
    {
        using var cwd = new TempDirectory();
        var (admin, gateway, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        int[] demo = [GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort()];
        await using var host = GatehouseProcess.StartIn(cwd.Path, "all-in-one",
            "--admin-port", Text(admin), "--port", Text(gateway), "--control-port", Text(control),
            "--demo-ports", string.Join(',', demo.Select(Text)));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // Through the moved gateway port to a demo node on its moved port (the seed moved the sample's addresses too).
        await Eventually.WaitUntilAsync(async () => await TryGetAsync(http, $"http://127.0.0.1:{gateway}/users-svc/users/42") == HttpStatusCode.OK,
            $"the all-in-one routes to users-1 on :{demo[2]}\n{host.Output}", TimeSpan.FromSeconds(60));
        using var orders = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway}/orders/42") { Headers = { { "serviceName", "orders" } } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(orders)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await TryGetAsync(http, $"http://127.0.0.1:{admin}/healthz"));
        Assert.Equal(HttpStatusCode.OK, await TryGetAsync(http, $"http://127.0.0.1:{control}/healthz"));
        Assert.Equal(HttpStatusCode.OK, await TryGetAsync(http, $"http://127.0.0.1:{demo[0]}/healthz"));
        Assert.Contains($"gateway   http://127.0.0.1:{gateway}   (control http://127.0.0.1:{control})", host.Output, StringComparison.Ordinal);

        await host.StopGracefullyAsync(StopLimit);
    }

    [Fact]
    public async Task AllInOne_NoDemo_StartsNoDemoNodeAndSeedsAnEmptyGroup()
    {
        using var cwd = new TempDirectory();

        // The demo ports are held: with --no-demo nothing binds (or checks) them, so the start must not fail on them.
        using var held = HostRun.Occupy(out var busy);
        var (admin, gateway, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        await using var host = GatehouseProcess.StartIn(cwd.Path, "all-in-one", "--no-demo",
            "--admin-port", Text(admin), "--port", Text(gateway), "--control-port", Text(control),
            "--demo-ports", $"{busy},{busy + 1},{busy + 2}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        await Eventually.WaitUntilAsync(async () => await TryGetAsync(http, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.OK,
            $"the all-in-one's gateway is ready\n{host.Output}", TimeSpan.FromSeconds(60));
        var token = (await File.ReadAllTextAsync(Path.Combine(cwd.Path, "data", "admin-token"))).Trim();
        using var list = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{admin}/api/v1/groups/default/services");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var services = await http.SendAsync(list);

        Assert.Equal(HttpStatusCode.OK, services.StatusCode);
        using var page = JsonDocument.Parse(await services.Content.ReadAsStringAsync());
        Assert.Equal(0, page.RootElement.GetProperty("total").GetInt32());
        Assert.False(host.HasExited, host.Output);

        await host.StopGracefullyAsync(StopLimit);
    }

    [Fact]
    public async Task Gateway_SwitchesAndConfigurationKeys_StillApply()
    {
        // Both spellings of a configuration key (--Key VALUE and --Key=VALUE) and the inline --switch=VALUE form.
        using var cwd = new TempDirectory();
        var config = cwd.Write("gatehouse.yaml", """
            services:
              - name: orders
                nodes:
                  - address: http://127.0.0.1:1
            """);
        var (port, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        await using var gateway = GatehouseProcess.StartIn(cwd.Path, "gw", "gateway", "--config", config, "--listen", "127.0.0.1",
            $"--port={Text(port)}", "--control-port", Text(control),
            "--Gatehouse:Gateway:NodeId=gw-cli", "--Gatehouse:Gateway:Loc", "dc9");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        string? version = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                version = await http.GetStringAsync($"http://127.0.0.1:{control}/control/config/version");
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"the gateway answers on its control port\n{gateway.Output}");

        using var json = JsonDocument.Parse(version!);
        Assert.Equal("gw-cli", json.RootElement.GetProperty("nodeId").GetString());
        Assert.Equal("dc9", json.RootElement.GetProperty("loc").GetString());
        Assert.Equal(HttpStatusCode.NotFound, await TryGetAsync(http, $"http://127.0.0.1:{port}/nowhere"));
    }

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
