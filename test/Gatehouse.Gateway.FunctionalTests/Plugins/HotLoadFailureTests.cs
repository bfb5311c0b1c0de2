using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.HotLoadTests;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>Plugins from the plugins directory that fail: to load, to create their filter, on every request.</summary>
public class HotLoadFailureTests
{
    [Fact]
    public async Task BadAssembly_ReportedAndTheGatewayServesWithTheOthers()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("stamp-v1", "stamp");
        Directory.CreateDirectory(Path.Combine(plugins.Path, "bad"));
        await File.WriteAllBytesAsync(Path.Combine(plugins.Path, "bad", "bad.dll"), "MZ not really an assembly"u8.ToArray());
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[ { name: stamp } ]"), null, plugins.GatewayArgs);

        var bad = (await PluginDirectory.FolderAsync(gw, "bad"))!.Value;
        Assert.Equal("failed", bad.GetProperty("state").GetString());
        Assert.Contains("bad.dll is not a loadable .NET assembly", bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(gw.Logs.Has(6102));
        using (var response = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal("v1", Header(response, "X-Plugin-Stamp"));
        }

        // A broken new version of a plugin in force is refused; the version in force keeps serving.
        await File.WriteAllBytesAsync(Path.Combine(plugins.Path, "stamp", "Gatehouse.TestPlugins.Stamp.dll"), "MZ broken"u8.ToArray());
        await GatewayTestHost.WaitUntilAsync(async () => (await PluginDirectory.FolderAsync(gw, "stamp"))?.GetProperty("state").GetString() == "failed",
            TimeSpan.FromSeconds(10), "the broken version was not reported");
        var stamp = (await PluginDirectory.FolderAsync(gw, "stamp"))!.Value;
        Assert.StartsWith("Gatehouse.TestPlugins.Stamp, Version=1.0.0", stamp.GetProperty("serving").GetProperty("assembly").GetString(), StringComparison.Ordinal);
        using (var response = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("v1", Header(response, "X-Plugin-Stamp"));
        }
    }

    [Fact]
    public async Task ThrowsInCreate_ConfigRefusedAndReported_PreviousSnapshotServes()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("stamp-v1", "stamp");
        plugins.Deploy("faulty", "faulty");
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[ { name: stamp } ]"), null, plugins.GatewayArgs);
        var (before, _) = await gw.GetVersionAsync();

        await gw.WriteConfigAsync(Config(backend.Address, "[ { name: stamp }, { name: throw-on-create } ]"));
        await GatewayTestHost.WaitUntilAsync(async () =>
            (await PluginDirectory.FolderAsync(gw, "faulty"))?.GetProperty("error").GetString()?.Contains("threw in Create", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(10), "the failing Create was not reported");

        var faulty = (await PluginDirectory.FolderAsync(gw, "faulty"))!.Value;
        Assert.Contains("the test plugin refuses to be created", faulty.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(gw.Logs.Has(6107));
        Assert.Equal(before, (await gw.GetVersionAsync()).Version);
        using var response = await SendAsync(gw, HttpMethod.Get, "s", "/x");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("v1", Header(response, "X-Plugin-Stamp"));
    }

    [Fact]
    public async Task ThrowsPerRequest_500PluginFailedNamingThePlugin_Counted()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("faulty", "faulty");
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[ { name: throw-on-request } ]"), null, plugins.GatewayArgs);

        for (var i = 0; i < 2; i++)
        {
            using var response = await SendAsync(gw, HttpMethod.Get, "s", "/x");
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":\"plugin_failed\"", body, StringComparison.Ordinal);
            Assert.Contains("throw-on-request", body, StringComparison.Ordinal);
            Assert.DoesNotContain("fails every request", body, StringComparison.Ordinal);
        }

        Assert.Equal(0, backend.RequestCount);
        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.Equal(2, metrics.Sum("gatehouse_plugin_failures_total", ("plugin", "throw-on-request"), ("phase", "request")));
        Assert.Equal(2, metrics.Sum("gatehouse_gateway_errors_total", ("code", "plugin_failed")));

        // The process is fine: the control port still answers.
        Assert.Equal(HttpStatusCode.OK, (await gw.Control.GetAsync("/healthz")).StatusCode);
    }
}
