using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

public class BlueGreenTests
{
    private static string Config(string activeVersion, string extra, params (string Id, string Address, string Version)[] nodes) => $$"""
        services:
          - name: s
            activeVersion: {{activeVersion}}
        {{extra}}
            nodes:
        {{string.Join("\n", nodes.Select(n => $"      - {{ id: {n.Id}, address: \"{n.Address}\", version: {n.Version} }}"))}}
            apis: [ { id: all, path: "/**" } ]
        """;

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayTestHost gw, string path = "/x", string? user = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", "s");
        if (user is not null)
        {
            request.Headers.Add("x-user", user);
        }

        using var response = await gw.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SwitchUnderLoad_V1ToV2ToV1_ZeroFailedRequestsAndRightVersionAfterEachSwap()
    {
        await using var blue1 = await EchoBackend.StartAsync("blue1");
        await using var blue2 = await EchoBackend.StartAsync("blue2");
        await using var green1 = await EchoBackend.StartAsync("green1");
        await using var green2 = await EchoBackend.StartAsync("green2");
        (string, string, string)[] fleet =
        [
            ("blue1", blue1.Address, "v1"), ("blue2", blue2.Address, "v1"),
            ("green1", green1.Address, "v2"), ("green2", green2.Address, "v2"),
        ];
        await using var gw = await GatewayTestHost.StartAsync(Config("v1", "", fleet));

        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var completed = 0;
        var workers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var (status, body) = await GetAsync(gw);
                    if (status != HttpStatusCode.OK || !(body.StartsWith("blue", StringComparison.Ordinal) || body.StartsWith("green", StringComparison.Ordinal)))
                    {
                        failures.Enqueue($"{(int)status} {body}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }

                Interlocked.Increment(ref completed);
            }
        })).ToArray();

        // Each swap is one config change; once the gateway reports the new version every new request lands on it.
        await Task.Delay(200);
        (string Version, string Colour)[] steps = [("v1", "blue"), ("v2", "green"), ("v1", "blue"), ("v2", "green"), ("v1", "blue")];
        for (var step = 0; step < steps.Length; step++)
        {
            var (version, colour) = steps[step];
            if (step > 0)
            {
                await gw.ReloadAsync(Config(version, "", fleet));
            }

            for (var i = 0; i < 20; i++)
            {
                var (status, body) = await GetAsync(gw);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.StartsWith(colour, body, StringComparison.Ordinal);
            }

            await Task.Delay(200);
        }

        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.True(failures.IsEmpty, $"{failures.Count} failed requests, e.g. {failures.FirstOrDefault()}");
        Assert.True(completed > 100, $"only {completed} requests completed");
        Assert.True(blue1.RequestCount > 0 && blue2.RequestCount > 0 && green1.RequestCount > 0 && green2.RequestCount > 0);
    }

    [Fact]
    public async Task Switch_InFlightRequest_FinishesOnTheSnapshotItStartedWith()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var blue = await EchoBackend.StartAsync("blue", async context =>
        {
            if (context.Request.Path == "/slow")
            {
                arrived.TrySetResult();
                await release.Task;
            }

            await context.Response.WriteAsync($"blue|{context.Request.Path}");
        });
        await using var green = await EchoBackend.StartAsync("green");
        (string, string, string)[] fleet = [("blue", blue.Address, "v1"), ("green", green.Address, "v2")];
        await using var gw = await GatewayTestHost.StartAsync(Config("v1", "", fleet));

        var slow = GetAsync(gw, "/slow");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await gw.ReloadAsync(Config("v2", "", fleet));
        Assert.StartsWith("green|", (await GetAsync(gw)).Body, StringComparison.Ordinal);

        release.SetResult();
        var (status, body) = await slow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("blue|/slow", body);
    }

    [Fact]
    public async Task ActiveVersionNoNodeHas_503NoAvailableNodeWithDetail()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var gw = await GatewayTestHost.StartAsync(Config("v3", "", ("blue", blue.Address, "v1")));

        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("no_available_node", problem.GetProperty("code").GetString());
        Assert.Contains("activeVersion 'v3'", problem.GetProperty("detail").GetString());
        Assert.Equal(0, blue.RequestCount);
    }

    [Fact]
    public async Task StagedCanaryOfNextVersion_StickyUsersSplitOverRealSockets()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        (string, string, string)[] fleet = [("blue", blue.Address, "v1"), ("green", green.Address, "v2")];
        const string canary = "    policy: { canary: { version: v2, percent: 25, sticky: { source: header, name: x-user } } }";
        await using var gw = await GatewayTestHost.StartAsync(Config("v1", canary, fleet));

        var onGreen = 0;
        for (var user = 0; user < 200; user++)
        {
            var first = (await GetAsync(gw, user: $"u{user}")).Body.Split('|')[0];
            Assert.Equal(first, (await GetAsync(gw, user: $"u{user}")).Body.Split('|')[0]);
            onGreen += first == "green" ? 1 : 0;
        }

        // 200 fixed keys: the hash split is deterministic; 25 % ± 10 points holds for any reasonable hash.
        Assert.InRange(onGreen, 30, 70);

        // Promote: the same change path flips everyone to v2.
        await gw.ReloadAsync(Config("v2", "", fleet));
        for (var user = 0; user < 20; user++)
        {
            Assert.StartsWith("green|", (await GetAsync(gw, user: $"u{user}")).Body, StringComparison.Ordinal);
        }
    }
}
