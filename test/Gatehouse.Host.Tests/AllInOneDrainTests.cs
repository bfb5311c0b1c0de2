using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gatehouse.Host.Tests.Infrastructure;
using Gatehouse.Scenario.Tests;
using Gatehouse.Testing;

namespace Gatehouse.Host.Tests;

/// <summary>The all-in-one's gateway drains on SIGTERM too, without the delay (nothing balances in front of it).</summary>
public sealed class AllInOneDrainTests
{
    [Fact]
    public async Task AllInOne_Sigterm_GatewayDrainsWithoutDelayAndExitsZero()
    {
        using var cwd = new TempDirectory();
        var (admin, gateway, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        await using var host = GatehouseProcess.StartIn(cwd.Path, "all-in-one", "--no-demo",
            "--admin-port", Text(admin), "--port", Text(gateway), "--control-port", Text(control));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitUntilAsync(async () => await ReadyAsync(http, control),
            $"the all-in-one's gateway is ready\n{host.Output}", TimeSpan.FromSeconds(60));

        await host.SignalAsync("TERM");
        var watch = Stopwatch.StartNew();
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{host.Output}");
        Assert.Contains("serving for 0 s more", host.Output, StringComparison.Ordinal);
        Assert.Contains("Gateway stopped", host.Output, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the all-in-one took {watch.Elapsed} to stop\n{host.Output}");
    }

    private static async Task<bool> ReadyAsync(HttpClient http, int control)
    {
        try
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{control}/readyz");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
