using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Tests.Publishing;

/// <summary>The admin's push of new versions, against stand-in gateway control endpoints on real ports.</summary>
public sealed class GatewayNotifierTests
{
    [Fact]
    public async Task Push_IsSigned_AndGoesOnlyToLiveNodesOfTheChangedGroup()
    {
        await using var host = await AdminHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:GatewayLiveWindow"] = "00:00:02",
        });
        await using var a = await FakeControlPort.StartAsync();
        await using var stale = await FakeControlPort.StartAsync();
        await using var b = await FakeControlPort.StartAsync();
        var groupA = await host.CreateGroupAsync();
        var groupB = await host.CreateGroupAsync();

        // The stale node's last heartbeat falls out of the 2 s window; the others report just before the write.
        await HeartbeatAsync(host, groupA, "stale", stale.Address);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await HeartbeatAsync(host, groupA, "a-1", a.Address);
        await HeartbeatAsync(host, groupB, "b-1", b.Address);

        await (await host.Client.PostAsync($"/api/v1/groups/{groupA}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        var push = await a.NextAsync();
        Assert.Null(push.SignatureProblem);
        Assert.Equal(groupA, push.Group);
        Assert.Equal(2, push.Version);

        // Give stray pushes the time the right one took, and more, to arrive.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(b.Received);
        Assert.Empty(stale.Received);
    }

    [Fact]
    public async Task Push_CoalescesVersionsCommittedWhileOneIsInFlight()
    {
        await using var host = await AdminHost.StartAsync();
        await using var slow = await FakeControlPort.StartAsync(delay: TimeSpan.FromSeconds(1.5));
        var group = await host.CreateGroupAsync();
        await HeartbeatAsync(host, group, "gw-1", slow.Address);

        for (var i = 0; i < 5; i++)
        {
            await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service($"svc-{i}"))))
                .ReadJsonAsync(HttpStatusCode.Created);
        }

        // Versions 2..6 were committed; the first push (2) was held 1.5 s, so 3..6 fold into one push of 6. Under a
        // very slow machine a write may land after that first push ended, which adds a push but never a stale one.
        var first = await slow.NextAsync();
        Assert.Equal(2, first.Version);
        var last = first;
        while (last.Version < 6)
        {
            var next = await slow.NextAsync();
            Assert.True(next.Version > last.Version, $"push of {next.Version} after {last.Version}");
            last = next;
        }

        Assert.True(slow.Received.Count < 5, $"{slow.Received.Count} pushes for 5 versions: no coalescing");
        Assert.All(slow.Received, p => Assert.Null(p.SignatureProblem));
    }

    [Fact]
    public async Task FailedPush_DoesNotFailTheWrite_AndIsLoggedOncePerOutage()
    {
        await using var host = await AdminHost.StartAsync();
        var group = await host.CreateGroupAsync();

        // Nobody listens there: every push fails at connect.
        var nowhere = new Uri($"http://127.0.0.1:{FreePort()}");
        await HeartbeatAsync(host, group, "gw-gone", nowhere);

        for (var i = 0; i < 3; i++)
        {
            await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service($"svc-{i}"))))
                .ReadJsonAsync(HttpStatusCode.Created);
            await Task.Delay(300);
        }

        // The first failure is logged at Information; the two after it only at Debug (below the default level).
        await WaitUntilAsync(() => host.Logs.Messages.Any(m => m.Contains("Config push to gateway node 'gw-gone'", StringComparison.Ordinal)));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var failures = host.Logs.Messages.Where(m => m.Contains("Config push to gateway node 'gw-gone'", StringComparison.Ordinal)).ToList();
        Assert.Single(failures);
    }

    private static async Task HeartbeatAsync(AdminHost host, string group, string nodeId, Uri controlAddress)
    {
        var body = $$"""{"nodeId":"{{nodeId}}","group":"{{group}}","controlAddress":"{{controlAddress.ToString().TrimEnd('/')}}","version":1,"checksum":"x"}""";
        var response = await host.Anonymous.SendAsync(AdminHost.Signed(HttpMethod.Post, "/api/v1/gateway/heartbeat", body));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What a stand-in gateway received: the notice and whether its signature held.</summary>
    private sealed record Push(string? Group, long Version, string? SignatureProblem);

    /// <summary>A gateway's <c>POST /control/config</c> on a real port: verifies, records, answers 202 after a delay.</summary>
    private sealed class FakeControlPort : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<Push> _received = new();
        private readonly ConcurrentQueue<Push> _unread = new();
        private readonly SemaphoreSlim _arrived = new(0);

        private FakeControlPort(WebApplication app) => _app = app;

        public Uri Address => new(_app.Urls.First());

        public IReadOnlyCollection<Push> Received => _received;

        public static async Task<FakeControlPort> StartAsync(TimeSpan? delay = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var port = new FakeControlPort(app);
            app.MapPost("/control/config", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                var body = buffer.ToArray();
                var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
                var problem = ControlSignature.Verify(AdminHost.Secret, context.Request.Headers[ControlSignature.TimestampHeader],
                    context.Request.Headers[ControlSignature.SignatureHeader], context.Request.Method, target, body, DateTimeOffset.UtcNow);
                using var json = JsonDocument.Parse(body);
                var push = new Push(json.RootElement.GetProperty("group").GetString(), json.RootElement.GetProperty("version").GetInt64(), problem);
                if (delay is { } wait)
                {
                    await Task.Delay(wait);
                }

                port._received.Enqueue(push);
                port._unread.Enqueue(push);
                port._arrived.Release();
                return Results.StatusCode(StatusCodes.Status202Accepted);
            });
            await app.StartAsync();
            return port;
        }

        /// <summary>The next push not read yet, in arrival order; fails after 10 s.</summary>
        public async Task<Push> NextAsync()
        {
            Assert.True(await _arrived.WaitAsync(TimeSpan.FromSeconds(10)), "no push arrived");
            Assert.True(_unread.TryDequeue(out var push));
            return push;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _arrived.Dispose();
        }
    }
}
