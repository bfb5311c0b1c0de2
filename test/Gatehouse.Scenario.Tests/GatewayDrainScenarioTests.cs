using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The gateway's own stop on SIGTERM, with a real gateway process and a real backend node: readiness fails at once,
/// traffic is still served (with <c>Connection: close</c>) for the drain delay, then the node stops accepting, lets a
/// request in flight finish, and exits 0 within its bound.
/// </summary>
public sealed class GatewayDrainScenarioTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-drain-").FullName;

    [Fact]
    public async Task Sigterm_ReadyzFailsAtOnce_ServesDuringDelay_FinishesInFlight_ExitsZero()
    {
        var delay = TimeSpan.FromSeconds(4);
        await using var processes = new ProcessSet();
        var (gateway, traffic, control) = StartBackendAndGateway(processes, delay, TimeSpan.FromSeconds(20));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await processes.WaitAsync(async () => await ProcessSet.StatusAsync(client, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.OK
            && await GetAsync(client, traffic) is { StatusCode: HttpStatusCode.OK }, "the gateway is ready and routes to the node", Patience);

        // A request in flight across the whole stop: its body is sent slowly, 1 KB every 250 ms, for 8 s.
        using var uploadClient = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var upload = SlowUpload.PostAsync(uploadClient, traffic, chunks: 32, TimeSpan.FromMilliseconds(250));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(upload.IsCompleted, "the upload should still be in flight");

        await gateway.SignalAsync("TERM");
        var signalled = Stopwatch.StartNew();

        // Readiness fails at once, long before the delay is over.
        await processes.WaitAsync(async () => await ProcessSet.StatusAsync(client, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.ServiceUnavailable,
            "/readyz answers 503 after SIGTERM", delay);
        var notReadyAfter = signalled.Elapsed;

        // Traffic is still served during the delay, on the same keep-alive client, and each response closes its connection.
        using (var during = await GetAsync(client, traffic))
        {
            var servedAfter = signalled.Elapsed;
            Assert.True(servedAfter < delay, $"the check ran {servedAfter} after SIGTERM, past the {delay} delay: inconclusive on this machine\n{processes.Logs()}");
            Assert.NotNull(during);
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
            Assert.True(during.Headers.ConnectionClose == true, $"a response during the drain must carry Connection: close\n{during.Headers}");
        }

        // After the delay the node stops accepting, while the upload is still in flight.
        var watch = Stopwatch.StartNew();
        while (await GetAsync(client, traffic) is { } response)
        {
            response.Dispose();
            Assert.True(watch.Elapsed < Patience, $"the traffic port still accepts after {watch.Elapsed}\n{processes.Logs()}");
            await Task.Delay(50);
        }

        var refusedAfter = signalled.Elapsed;
        Assert.True(refusedAfter >= delay, $"the node stopped accepting {refusedAfter} after SIGTERM, before the {delay} delay\n{processes.Logs()}");
        Assert.False(upload.IsCompleted, $"the upload ended before the node stopped accepting; it cannot show an in-flight request finishing\n{processes.Logs()}");

        // The request in flight finishes in full, and the process exits 0 within the delay plus the in-flight bound.
        var (status, body) = await upload;
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}\n{processes.Logs()}");
        Assert.Equal(32 * 1024, JsonDocument.Parse(body).RootElement.GetProperty("bodyBytes").GetInt64());
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var exitedAfter = signalled.Elapsed;
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{processes.Logs()}");
        Assert.Contains("Draining: /readyz answers 503", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("Gateway stopped", gateway.Output, StringComparison.Ordinal);
        output.WriteLine($"SIGTERM -> /readyz 503 after {notReadyAfter.TotalMilliseconds:0} ms, stopped accepting after {refusedAfter.TotalMilliseconds:0} ms, "
            + $"exit 0 after {exitedAfter.TotalMilliseconds:0} ms (delay {delay.TotalSeconds} s)");
    }

    [Fact]
    public async Task Sigterm_RequestOutlastingTheBound_IsCutOffAndTheProcessExitsInTime()
    {
        var bound = TimeSpan.FromSeconds(1);
        await using var processes = new ProcessSet();
        var (gateway, traffic, control) = StartBackendAndGateway(processes, TimeSpan.Zero, bound);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await processes.WaitAsync(async () => await ProcessSet.StatusAsync(client, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.OK,
            "the gateway is ready", Patience);

        // 40 s of upload: far past the bound.
        using var uploadClient = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var upload = SlowUpload.PostAsync(uploadClient, traffic, chunks: 160, TimeSpan.FromMilliseconds(250));
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        await gateway.SignalAsync("TERM");
        var signalled = Stopwatch.StartNew();
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAfter = signalled.Elapsed;

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{processes.Logs()}");
        Assert.True(exitedAfter >= bound * 0.9, $"exited {exitedAfter} after SIGTERM, before the in-flight bound of {bound}\n{processes.Logs()}");
        Assert.Contains("in-flight bound exceeded: True", gateway.Output, StringComparison.Ordinal);
        var (status, _) = await upload;
        Assert.NotEqual(HttpStatusCode.OK, status);
        output.WriteLine($"exit 0 after {exitedAfter.TotalMilliseconds:0} ms (bound {bound.TotalSeconds} s); the upload ended with {(int)status}");
    }

    [Fact]
    public async Task Sighup_Ignored_SecondSigint_EndsTheDelayEarly()
    {
        var delay = TimeSpan.FromSeconds(30);
        await using var processes = new ProcessSet();
        var (gateway, _, control) = StartBackendAndGateway(processes, delay, TimeSpan.FromSeconds(10));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var readyz = $"http://127.0.0.1:{control}/readyz";
        await processes.WaitAsync(async () => await ProcessSet.StatusAsync(client, readyz) == HttpStatusCode.OK, "the gateway is ready", Patience);

        // SIGHUP would end a .NET process at once, without a drain; the node ignores it and stays ready.
        await gateway.SignalAsync("HUP");
        await processes.WaitAsync(() => Task.FromResult(gateway.Output.Contains("SIGHUP ignored", StringComparison.Ordinal)), "the SIGHUP line", Patience);
        Assert.Equal(HttpStatusCode.OK, await ProcessSet.StatusAsync(client, readyz));

        // Ctrl+C starts the drain; a second Ctrl+C skips the rest of the 30 s delay.
        await gateway.SignalAsync("INT");
        await processes.WaitAsync(async () => await ProcessSet.StatusAsync(client, readyz) == HttpStatusCode.ServiceUnavailable, "/readyz answers 503", Patience);
        var watch = Stopwatch.StartNew();
        await gateway.SignalAsync("INT");
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{processes.Logs()}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"exited {watch.Elapsed} after the second SIGINT\n{processes.Logs()}");
        Assert.Contains("SIGINT during the drain delay", gateway.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (GatehouseProcess Gateway, int Traffic, int Control) StartBackendAndGateway(ProcessSet processes, TimeSpan delay, TimeSpan bound)
    {
        var node = GatehouseProcess.FreePort();
        processes.Start("node", "demo", "--service", "orders", "--port", Text(node));
        var config = Path.Combine(_dir, "gateway.yaml");
        File.WriteAllText(config, $$"""
            services:
              - name: orders
                nodes: [ { id: orders-1, address: "http://127.0.0.1:{{node}}" } ]
                apis:
                  - id: all
                    path: "/**"
            """);
        var traffic = GatehouseProcess.FreePort();
        var control = GatehouseProcess.FreePort();
        var gateway = processes.Start("gateway", "gateway", "--config", config, "--listen", "127.0.0.1", "--node-id", "gw-drain",
            "--port", Text(traffic), "--control-port", Text(control),
            "--Gatehouse:Gateway:DrainDelay", delay.ToString("c", CultureInfo.InvariantCulture),
            "--Gatehouse:Gateway:ShutdownTimeout", bound.ToString("c", CultureInfo.InvariantCulture));
        return (gateway, traffic, control);
    }

    /// <summary>A GET routed to the node; null when nothing accepts the connection.</summary>
    private static async Task<HttpResponseMessage?> GetAsync(HttpClient client, int traffic)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{traffic}/orders/42");
        request.Headers.Add("serviceName", "orders");
        try
        {
            return await client.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
