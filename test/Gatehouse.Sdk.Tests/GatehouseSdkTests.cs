using System.Net;
using Gatehouse.Sdk.Lifecycle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Sdk.Tests;

/// <summary>A real Kestrel app using <c>AddGatehouse</c> against a real admin on loopback.</summary>
public sealed class GatehouseSdkTests
{
    internal sealed class TestService(WebApplication app, LogLines logs) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public LogLines Logs { get; } = logs;

        public TaskCompletionSource SlowEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource SlowRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Url => App.Urls.First();

        public async ValueTask DisposeAsync()
        {
            SlowRelease.TrySetResult();
            await App.DisposeAsync();
        }
    }

    internal static TestService CreateService(string registryAddress, string group, Action<GatehouseOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var logs = new LogLines();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGatehouse(o =>
        {
            o.Service = "orders";
            o.Group = group;
            o.Address = registryAddress;
            o.Token = TestAdmin.RegistryToken;
            o.Version = "2.0.0";
            o.Loc = "dc1";
            o.HealthPath = "/healthz";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
            o.PropagationDelay = TimeSpan.FromMilliseconds(200);
            o.RetryMinDelay = TimeSpan.FromMilliseconds(100);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
            configure?.Invoke(o);
        });
        var app = builder.Build();
        var service = new TestService(app, logs);
        app.MapGet("/healthz", () => "ok");
        app.MapGet("/orders/{id:int}", (int id) => id);
        app.MapDelete("/orders/{id:int}", (int id) => Results.NoContent());
        app.MapPost("/orders", () => Results.Created());
        app.Map("/files/{**rest}", (string? rest) => rest);
        app.MapGet("/slow", async () =>
        {
            service.SlowEntered.TrySetResult();
            await service.SlowRelease.Task;
            return "done";
        });
        return service;
    }

    [Fact]
    public async Task Start_RegistersNodeAndScannedApis_HeartbeatsKeepTheLease()
    {
        await using var admin = await TestAdmin.StartAsync();
        await admin.CreateGroupAsync("shop");
        await using var service = CreateService(admin.Address, "shop");
        await service.App.StartAsync();

        await Wait.UntilAsync(async () => await admin.NodeCountAsync("shop", "orders") == 1, "node registered");
        var config = (await admin.ServiceAsync("shop", "orders"))!.Value;
        var node = config.GetProperty("nodes")[0];
        Assert.Equal(service.Url, node.GetProperty("address").GetString());
        Assert.Equal("sdk", node.GetProperty("source").GetString());
        Assert.Equal("dc1", node.GetProperty("loc").GetString());
        Assert.Equal("/healthz", node.GetProperty("healthPath").GetString());
        var apis = config.GetProperty("apis").EnumerateArray()
            .Select(a => $"{string.Join(',', a.GetProperty("methods").EnumerateArray().Select(m => m.GetString()))} {a.GetProperty("path").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([" /files/**", "DELETE,GET /orders/{id}", "GET /slow", "POST /orders"], apis);

        // Three TTLs (2 s each) of heartbeats: the node stays live and nothing new is published.
        var versions = await admin.VersionCountAsync("shop");
        await Task.Delay(TimeSpan.FromSeconds(6));
        config = (await admin.ServiceAsync("shop", "orders"))!.Value;
        Assert.False(config.GetProperty("nodes")[0].GetProperty("metadata").TryGetProperty("gatehouse.registry.state", out _));
        Assert.Equal(versions, await admin.VersionCountAsync("shop"));
        await service.App.StopAsync();
    }

    [Fact]
    public async Task Stop_DeregistersFirst_ThenWaitsForTheInFlightRequest()
    {
        await using var admin = await TestAdmin.StartAsync();
        await admin.CreateGroupAsync("shop");
        await using var service = CreateService(admin.Address, "shop");
        await service.App.StartAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync("shop", "orders") == 1, "node registered");

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var slow = client.GetAsync($"{service.Url}/slow");
        await service.SlowEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var stopping = service.App.StopAsync();
        await Wait.UntilAsync(async () => await admin.NodeCountAsync("shop", "orders") == 0, "node deregistered");
        await Task.Delay(TimeSpan.FromSeconds(1)); // well past the 200 ms propagation delay: only the request holds the stop
        Assert.False(stopping.IsCompleted, "the host stopped while a request was in flight");
        Assert.False(slow.IsCompleted);
        Assert.Equal(1, service.App.Services.GetRequiredService<InFlightRequests>().Count);

        service.SlowRelease.SetResult();
        using var response = await slow.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task RegistryDownAtStart_RetriesWithBackoff_RegistersWhenItComesUp_OneWarning()
    {
        var port = TestAdmin.FreePort();
        await using var service = CreateService($"http://127.0.0.1:{port}", "shop");
        await service.App.StartAsync();

        // The service runs (and serves) while the registry is down.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var client = new HttpClient();
        Assert.Equal("ok", await client.GetStringAsync($"{service.Url}/healthz"));
        Assert.False(service.App.Services.GetRequiredService<GatehouseLifecycle>().Registered);

        await using var admin = await TestAdmin.StartAsync(port);
        await admin.CreateGroupAsync("shop");
        await Wait.UntilAsync(async () => await admin.NodeCountAsync("shop", "orders") == 1, "node registered once the registry is up");

        // The SDK logs after the admin answered, so the line may trail the node's appearance by a moment.
        await Wait.UntilAsync(() => Task.FromResult(service.Logs.Lines.Any(l => l.Text.Contains("reachable again", StringComparison.Ordinal))),
            "the SDK logs that the registry is reachable again");
        var warnings = service.Logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Text.Contains("unreachable", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        await service.App.StopAsync();
    }

    [Fact]
    public async Task UnknownRegistryKind_FailsAtStartWithAClearMessage()
    {
        await using var service = CreateService("127.0.0.1:2181", "shop", o => o.Registry = "consul");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => service.App.StartAsync());
        Assert.Contains("'consul'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'zookeeper'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZooKeeperRegistry_MalformedAddress_FailsAtStart()
    {
        await using var service = CreateService("zookeeper://127.0.0.1:notaport", "shop", o => o.Registry = "zookeeper");
        var error = await Assert.ThrowsAsync<FormatException>(() => service.App.StartAsync());
        Assert.Contains("bad port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backoff_GrowsExponentiallyWithJitter_Capped()
    {
        var options = new GatehouseOptions { RetryMinDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1) };
        for (var i = 0; i < 50; i++)
        {
            var first = GatehouseLifecycle.Backoff(1, options).TotalMilliseconds;
            var third = GatehouseLifecycle.Backoff(3, options).TotalMilliseconds;
            var tenth = GatehouseLifecycle.Backoff(10, options).TotalMilliseconds;
            Assert.InRange(first, 50, 100);
            Assert.InRange(third, 200, 400);
            Assert.InRange(tenth, 500, 1000);
        }
    }
}
