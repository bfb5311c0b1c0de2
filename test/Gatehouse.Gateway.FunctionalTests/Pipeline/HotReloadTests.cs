using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

public class HotReloadTests
{
    private static string Config(string address, string node) => $$"""
        services:
          - name: s
            nodes: [ { id: {{node}}, address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    [Fact]
    public async Task ReloadUnderConcurrentLoad_ZeroFailedRequests()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var gw = await GatewayTestHost.StartAsync(Config(blue.Address, "blue"));

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var completed = 0;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/x");
                request.Headers.Add("serviceName", "s");
                try
                {
                    using var response = await gw.Client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || !(body.StartsWith("blue|") || body.StartsWith("green|")))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref completed);
            }
        })).ToArray();

        for (var i = 0; i < 10; i++)
        {
            var (address, node) = i % 2 == 0 ? (green.Address, "green") : (blue.Address, "blue");
            await gw.ReloadAsync(Config(address, node));
            await Task.Delay(50);
        }

        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.Equal(0, failures);
        Assert.True(completed > 100, $"only {completed} requests completed");
        Assert.True(blue.RequestCount > 0 && green.RequestCount > 0);

        // The last config (i = 9 → blue) is the one serving now.
        var before = green.RequestCount;
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        Assert.StartsWith("blue|", await (await gw.Client.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.Equal(before, green.RequestCount);
    }

    /// <summary>Seven services; <paramref name="extra"/> adds an eighth, so the file differs from the one before.</summary>
    private static string SevenServices(string address, bool extra)
    {
        var text = new System.Text.StringBuilder("services:\n");
        for (var i = 0; i < (extra ? 8 : 7); i++)
        {
            text.Append($$"""
                  - name: s{{i}}
                    policy:
                      auth:
                    nodes: [ { id: n{{i}}, address: "{{address}}" } ]
                    apis: [ { id: all, path: "/**" } ]

                """);
        }

        return text.ToString();
    }

    [Fact]
    public async Task FileWrittenInPlaceInTwoParts_TruncatedConfigNeverServed()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        var full = SevenServices(blue.Address, extra: true);

        // The first part is a valid config by itself: the first service, cut just after "auth:" (a null policy).
        var cut = full.IndexOf("auth:", StringComparison.Ordinal) + "auth:".Length;
        Assert.True(cut > 5 && cut < full.Length / 4);
        await using var gw = await GatewayTestHost.StartAsync(SevenServices(blue.Address, extra: false), null,
            "--Gatehouse:Gateway:ConfigSettleDelay", "00:00:00.500");
        var (before, _) = await gw.GetVersionAsync();

        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = w; !stop.IsCancellationRequested; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
                request.Headers.Add("serviceName", $"s{i % 7}");
                using var response = await gw.Client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"s{i % 7}: {(int)response.StatusCode}");
                }
            }
        })).ToArray();

        // Written in place, as a tool that truncates and writes would: part one, a pause shorter than the settle
        // delay (longer than the old 150 ms debounce), then the rest.
        await using (var file = new FileStream(gw.ConfigPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(full);
            await file.WriteAsync(bytes.AsMemory(0, cut));
            await file.FlushAsync();
            await Task.Delay(300);
            await file.WriteAsync(bytes.AsMemory(cut));
            await file.FlushAsync();
        }

        await GatewayTestHost.WaitUntilAsync(async () => (await gw.GetVersionAsync()).Version != before, TimeSpan.FromSeconds(10),
            "the gateway did not apply the whole file");
        await Task.Delay(300);
        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.Equal(before + 1, (await gw.GetVersionAsync()).Version); // only the whole file was applied
        using var added = new HttpRequestMessage(HttpMethod.Get, "/x");
        added.Headers.Add("serviceName", "s7");
        Assert.Equal(HttpStatusCode.OK, (await gw.Client.SendAsync(added)).StatusCode);
        Assert.Contains(gw.Logs.Entries, e => e.Message.Contains("is still being written", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvalidReload_RejectedWholePreviousKeepsServing()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var gw = await GatewayTestHost.StartAsync(Config(blue.Address, "blue"));
        var (version, checksum) = await gw.GetVersionAsync();

        // Second service is fine, first has a broken path: nothing of this file may apply.
        await gw.WriteConfigAsync($$"""
            services:
              - name: s
                nodes: [ { address: "{{blue.Address}}" } ]
                apis: [ { id: all, path: "no-leading-slash" } ]
              - name: t
                nodes: [ { address: "{{blue.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """);
        await Task.Delay(1000);

        Assert.Equal((version, checksum), await gw.GetVersionAsync());
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "t");
        Assert.Equal(HttpStatusCode.NotFound, (await gw.Client.SendAsync(request)).StatusCode);
        request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        Assert.Equal(HttpStatusCode.OK, (await gw.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task VersionEndpoint_ReportsVersionAndChecksum()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var gw = await GatewayTestHost.StartAsync(Config(blue.Address, "blue"));
        var (v1, c1) = await gw.GetVersionAsync();
        Assert.Equal(1, v1);
        Assert.Equal(64, c1!.Length);
        await gw.ReloadAsync(Config(blue.Address, "renamed"));
        var (v2, c2) = await gw.GetVersionAsync();
        Assert.Equal(2, v2);
        Assert.NotEqual(c1, c2);
        Assert.Equal(HttpStatusCode.OK, (await gw.Control.GetAsync("/readyz")).StatusCode);
    }
}
