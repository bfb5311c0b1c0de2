using System.Diagnostics;
using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>Plugins loaded from a plugins directory by a real gateway: loading, replacing under load, removing.</summary>
public class HotLoadTests
{
    internal static string Config(string address, string filters) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            policy:
              filters: {{filters}}
            apis:
              - { id: all, path: "/**" }
        """;

    [Fact]
    public async Task LoadedAtStart_SamplePlugin_FiltersRequestsAndIsListed()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("request-id-check", "request-id-check");
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(
            Config(backend.Address, "[ { name: request-id-check, settings: { format: uuid } } ]"), null, plugins.GatewayArgs);

        using (var missing = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.Contains("\"code\":\"bad_request\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var malformed = await SendAsync(gw, HttpMethod.Get, "s", "/x", ("X-Request-Id", "not-a-uuid")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }

        var id = Guid.NewGuid().ToString();
        using (var fine = await SendAsync(gw, HttpMethod.Get, "s", "/x", ("X-Request-Id", id)))
        {
            Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
            Assert.Equal(id, Header(fine, "X-Request-Id"));
        }

        Assert.Equal(1, backend.RequestCount);
        var status = (await PluginDirectory.FolderAsync(gw, "request-id-check"))!.Value;
        Assert.Equal("loaded", status.GetProperty("state").GetString());
        Assert.Equal("request-id-check", status.GetProperty("serving").GetProperty("factories")[0].GetString());
        Assert.Contains("request-id-check", (await PluginDirectory.StatusAsync(gw)).GetProperty("names").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task ConfigNamingAMissingPlugin_RefusedUntilThePluginArrives()
    {
        using var plugins = new PluginDirectory();
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[]"), null, plugins.GatewayArgs);
        var (before, _) = await gw.GetVersionAsync();

        await gw.WriteConfigAsync(Config(backend.Address, "[ { name: stamp } ]"));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Entries.Any(e => e.EventId.Id == 3101 && e.Message.Contains("unknown plugin 'stamp'", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the config naming a missing plugin was not refused");
        using (var old = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
            Assert.Null(Header(old, "X-Plugin-Stamp"));
        }

        Assert.Equal(before, (await gw.GetVersionAsync()).Version);

        plugins.Deploy("stamp-v1", "stamp");
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            using var response = await SendAsync(gw, HttpMethod.Get, "s", "/x");
            return Header(response, "X-Plugin-Stamp") == "v1";
        }, TimeSpan.FromSeconds(10), "the config was not applied once its plugin was loaded");
    }

    [Fact]
    public async Task Replace_UnderLoad_NoFailedRequestAndNewVersionWithinTheWatchInterval()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("stamp-v1", "stamp");
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[ { name: stamp } ]"), null, plugins.GatewayArgs);

        var clock = Stopwatch.StartNew();
        long replacedAt = 0, firstV2At = 0;
        var total = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await SendAsync(gw, HttpMethod.Get, "s", "/x");
                    var body = await response.Content.ReadAsStringAsync();
                    Interlocked.Increment(ref total);
                    var stamp = Header(response, "X-Plugin-Stamp");
                    if (response.StatusCode != HttpStatusCode.OK || body != "b|GET|/x" || stamp is not ("v1" or "v2"))
                    {
                        failures.Enqueue($"{(int)response.StatusCode} stamp={stamp} {body}");
                    }
                    else if (stamp == "v2" && Interlocked.Read(ref firstV2At) == 0)
                    {
                        Interlocked.CompareExchange(ref firstV2At, clock.ElapsedTicks, 0);
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        await Task.Delay(300);
        plugins.Deploy("stamp-v2", "stamp");
        replacedAt = clock.ElapsedTicks;
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref firstV2At) != 0), TimeSpan.FromSeconds(15),
            "the replaced plugin never answered");
        await Task.Delay(300);
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(total > 20, $"only {total} requests were sent");

        // In force within one poll interval plus the settle delay; the margin covers loading and compiling on a busy machine.
        var visibleAfter = TimeSpan.FromSeconds((firstV2At - replacedAt) / (double)Stopwatch.Frequency);
        Assert.True(visibleAfter < PluginDirectory.PollInterval + PluginDirectory.SettleDelay + TimeSpan.FromSeconds(2),
            $"v2 answered {visibleAfter.TotalMilliseconds} ms after it was copied");
        using (var after = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal("v2", Header(after, "X-Plugin-Stamp"));
        }

        // The replaced version's context is unloaded and collected once its requests are done.
        await PluginDirectory.WaitCollectedAsync(gw, "stamp");
        Assert.True(gw.Logs.Has(6104));
    }

    [Fact]
    public async Task Remove_WhileNamedKeptThenDroppedWithTheConfig_ContextCollected()
    {
        using var plugins = new PluginDirectory();
        plugins.Deploy("stamp-v1", "stamp");
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address, "[ { name: stamp } ]"), null, plugins.GatewayArgs);

        // Removed while the config in force names it: kept, and said so.
        plugins.Remove("stamp");
        await GatewayTestHost.WaitUntilAsync(async () => (await PluginDirectory.FolderAsync(gw, "stamp"))?.GetProperty("state").GetString() == "removed",
            TimeSpan.FromSeconds(10), "the removal was not reported");
        using (var stillStamped = await SendAsync(gw, HttpMethod.Get, "s", "/x"))
        {
            Assert.Equal("v1", Header(stillStamped, "X-Plugin-Stamp"));
        }

        // A config that no longer names it lets it go: unloaded, and its context collected.
        await gw.ReloadAsync(Config(backend.Address, "[]"));
        await PluginDirectory.WaitCollectedAsync(gw, "stamp");
        Assert.Null(await PluginDirectory.FolderAsync(gw, "stamp"));
        Assert.DoesNotContain("stamp", (await PluginDirectory.StatusAsync(gw)).GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        using var plain = await SendAsync(gw, HttpMethod.Get, "s", "/x");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Null(Header(plain, "X-Plugin-Stamp"));
    }
}
