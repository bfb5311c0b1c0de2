using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The gateway cluster released without loss: HAProxy in front of two real gateway processes, checking their
/// <c>/readyz</c>, a real backend node behind them, and several client connections sending GETs and POSTs while each
/// gateway in turn gets SIGTERM and is started again on the same ports. No request may fail.
/// </summary>
public sealed class RollingRestartScenarioTests(ITestOutputHelper output) : IDisposable
{
    private const int Connections = 6;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Several times HAProxy's check interval (200 ms, fall 1), so it has taken the gateway out well before it stops accepting.
    private static readonly TimeSpan DrainDelay = TimeSpan.FromSeconds(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-rolling-").FullName;

    [Fact]
    public async Task RollingRestartBehindHaproxy_UnderLoad_NoFailedRequest()
    {
        // Not a skip: the test command installs the package (scripts/test.sh), and a missing one is a broken machine.
        var binary = HaproxyServer.FindBinary();
        Assert.True(binary is not null, "haproxy is not installed (Debian package 'haproxy'; scripts/test.sh installs it)");

        await using var processes = new ProcessSet();
        var node = GatehouseProcess.FreePort();
        processes.Start("node", "demo", "--service", "orders", "--node", "orders-1", "--port", Text(node));
        var config = Path.Combine(_dir, "gateway.yaml");
        File.WriteAllText(config, $$"""
            services:
              - name: orders
                nodes: [ { id: orders-1, address: "http://127.0.0.1:{{node}}" } ]
                apis:
                  - id: all
                    path: "/**"
            """);
        (string Name, int Traffic, int Control)[] gateways =
        [
            ("gw-a", GatehouseProcess.FreePort(), GatehouseProcess.FreePort()),
            ("gw-b", GatehouseProcess.FreePort(), GatehouseProcess.FreePort()),
        ];
        var running = gateways.Select(g => StartGateway(processes, config, g)).ToArray();
        await using var haproxy = HaproxyServer.Start(binary!, gateways);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Logs() => $"{processes.Logs()}\n--- haproxy ---\n{haproxy.Output}";
        await WaitAsync(() => BothUpAsync(haproxy, probe), "HAProxy sees both gateways UP", haproxy, Logs);

        // :: Load: each client connection sends requests back to back (keep-alive to HAProxy), alternating GET and POST.
        var sent = 0L;
        var failures = new ConcurrentQueue<string>();
        var served = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Connections).Select(i => Task.Run(async () =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(15) };
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                Interlocked.Increment(ref sent);
                await SendAsync(client, haproxy.Port, post: (n + i) % 2 == 1, failures, served);
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));

        // :: Rolling restart: SIGTERM one gateway, let it drain and exit, start it again on the same ports, and wait for
        // HAProxy to see it UP before the next one.
        var timeline = new StringBuilder();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < gateways.Length; i++)
        {
            var name = gateways[i].Name;
            var before = Interlocked.Read(ref sent);
            await running[i].SignalAsync("TERM");

            // HAProxy takes the gateway out of rotation while it still serves (its /readyz fails at once), not when it is gone.
            await WaitAsync(async () => (await haproxy.ServerStatesAsync(probe)).GetValueOrDefault(name)?.Status is { } status && status != "UP",
                $"HAProxy takes {name} out of rotation", haproxy, Logs);
            Assert.False(running[i].HasExited, $"{name} exited before HAProxy took it out of rotation\n{Logs()}");
            timeline.AppendLine(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalSeconds,5:0.0} s  {name} got SIGTERM; HAProxy marked it DOWN while it still served");

            var exitCode = await running[i].WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"{name} exited with {exitCode}\n{Logs()}");
            timeline.AppendLine(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalSeconds,5:0.0} s  {name} drained and exited 0 ({Interlocked.Read(ref sent) - before} requests sent since SIGTERM)");

            running[i] = StartGateway(processes, config, gateways[i]);
            var restarted = running[i];
            await WaitAsync(async () => !restarted.HasExited && await BothUpAsync(haproxy, probe), $"HAProxy sees the restarted {name} UP", haproxy, Logs);
            timeline.AppendLine(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalSeconds,5:0.0} s  {name} restarted on the same ports and UP in HAProxy");

            // Load on the pair again before the next gateway goes.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var total = Interlocked.Read(ref sent);
        output.WriteLine($"Rolling restart of 2 gateways behind HAProxy, {Connections} client connections: {total} requests sent, {failures.Count} failed");
        output.WriteLine(timeline.ToString());
        output.WriteLine($"HAProxy per gateway: {string.Join("; ", (await haproxy.ServerStatesAsync(probe)).Select(s => $"{s.Key} {s.Value}"))}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {total} requests failed, e.g. {string.Join(" | ", failures.Take(5))}\n{Logs()}");
        Assert.True(total > 100, $"only {total} requests were sent: the load did not run\n{Logs()}");
        Assert.True(served.GetValueOrDefault("orders-1") == total, $"every request reached the node ({served.GetValueOrDefault("orders-1")} of {total})");

        // Nothing was hidden by HAProxy either: no connection to a gateway failed and no request was retried or redispatched.
        var stats = await haproxy.ServerStatesAsync(probe);
        Assert.True(stats.Values.All(s => s.Sessions > 0), $"both gateways carried traffic: {string.Join(", ", stats)}");
        Assert.True(stats.Values.All(s => s.ConnectionErrors == 0 && s.ResponseErrors == 0 && s.Retries == 0 && s.Redispatches == 0),
            $"HAProxy saw errors or retried: {string.Join(", ", stats)}\n{Logs()}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GatehouseProcess StartGateway(ProcessSet processes, string config, (string Name, int Traffic, int Control) gateway) =>
        processes.Start(gateway.Name, "gateway", "--config", config, "--listen", "127.0.0.1", "--node-id", gateway.Name,
            "--port", Text(gateway.Traffic), "--control-port", Text(gateway.Control),
            "--Gatehouse:Gateway:DrainDelay", DrainDelay.ToString("c", CultureInfo.InvariantCulture));

    private static async Task<bool> BothUpAsync(HaproxyServer haproxy, HttpClient client)
    {
        var states = await haproxy.ServerStatesAsync(client);
        return states.Count == 2 && states.Values.All(s => s.Status == "UP");
    }

    private static async Task SendAsync(HttpClient client, int port, bool post, ConcurrentQueue<string> failures, ConcurrentDictionary<string, int> served)
    {
        using var request = new HttpRequestMessage(post ? HttpMethod.Post : HttpMethod.Get, $"http://127.0.0.1:{port}/orders/42");
        request.Headers.Add("serviceName", "orders");
        if (post)
        {
            request.Content = new ByteArrayContent(new byte[512]);
        }

        try
        {
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Enqueue($"{request.Method} {(int)response.StatusCode}: {body}");
                return;
            }

            served.AddOrUpdate(body.Contains("\"node\":\"orders-1\"", StringComparison.Ordinal) ? "orders-1" : "other", 1, (_, n) => n + 1);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            failures.Enqueue($"{request.Method}: {e.Message}");
        }
    }

    /// <summary>
    /// Polls every 50 ms; gives up with every log after <see cref="Patience"/> or when HAProxy died. (Not
    /// <see cref="ProcessSet.WaitAsync"/>: the stopped gateways stay in the set, exited on purpose.)
    /// </summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string what, HaproxyServer haproxy, Func<string> logs)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Patience || haproxy.HasExited)
            {
                throw new TimeoutException($"Timed out waiting for: {what}\n{logs()}");
            }

            await Task.Delay(50);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
