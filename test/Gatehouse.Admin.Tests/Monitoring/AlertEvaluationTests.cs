using System.Net;
using Gatehouse.Admin.Monitoring;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Monitoring;

/// <summary>
/// Rule evaluation under a fake clock (passes driven by hand), notifications delivered to a real webhook receiver on
/// loopback. Each test has its own admin, so the clock and the evaluator are its own.
/// </summary>
public abstract class AlertEvaluationTests(AdminFixture fixture)
{
    private static readonly (string, string, long[], long[])[] NoApis = [];

    private async Task<(AdminHost Host, ManualClock Clock, AlertEvaluator Evaluator)> StartAsync()
    {
        var clock = new ManualClock();
        var host = await fixture.StartAdminAsync(builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // The timer's own passes must not interleave with the test's.
                ["Gatehouse:Admin:Alerts:EvaluationInterval"] = "01:00:00",
                ["Gatehouse:Admin:Alerts:WebhookBackoff"] = "00:00:00.050",
                ["Gatehouse:Admin:Alerts:WebhookTimeout"] = "00:00:10",
                ["Gatehouse:Admin:RegistryLeaseTtl"] = "00:00:15",
                ["Gatehouse:Admin:RegistryExpiredGrace"] = "00:10:00",
                ["Gatehouse:Admin:RegistrySweepInterval"] = "1.00:00:00",
            });
            builder.Services.AddSingleton<TimeProvider>(clock);
        });
        return (host, clock, host.GetService<AlertEvaluator>());
    }

    private static async Task<string> CreateRuleAsync(AdminHost host, string group, string json)
    {
        var rule = await (await host.Client.PostAsync($"/api/v1/groups/{group}/alert-rules", AdminHost.Json(json))).ReadJsonAsync(HttpStatusCode.Created);
        return rule.GetProperty("id").GetString()!;
    }

    private static Task ErrorsAsync(AdminHost host, ManualClock clock, string group, long ok, long errors) =>
        StatsApiTests.SendAsync(host, StatsApiTests.Heartbeat(group, "gw-1", "p1", ("orders", "list", [0, ok, 0, 0, errors], [ok + errors, 0, 0, 0, 0])),
            clock.GetUtcNow());

    [Fact]
    public async Task ErrorRate_FiresOnceResolvesRespectsCooldownAndAck()
    {
        var (host, clock, evaluator) = await StartAsync();
        await using var adminHost = host;
        await using var hook = await WebhookReceiver.StartAsync();
        var group = await host.CreateGroupAsync();
        var ruleId = await CreateRuleAsync(host, group, $$"""
            {"name":"orders 5xx","kind":"errorRate","threshold":10,"window":"1m","service":"orders","minRequests":20,"cooldown":"5m",
             "webhookUrl":"{{hook.Url}}"}
            """);

        await ErrorsAsync(host, clock, group, ok: 100, errors: 0);
        clock.Advance(TimeSpan.FromSeconds(10));
        await ErrorsAsync(host, clock, group, ok: 150, errors: 50);

        // :: Fires once: the second pass sees it still firing and sends nothing.
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        var firing = Assert.Single(hook.Delivered);
        Assert.Equal("firing", firing.GetProperty("state").GetString());
        Assert.Equal(ruleId, firing.GetProperty("ruleId").GetString());
        Assert.Equal("orders 5xx", firing.GetProperty("rule").GetString());
        Assert.Equal(group, firing.GetProperty("group").GetString());
        Assert.Equal(50, firing.GetProperty("value").GetDouble());
        Assert.Equal(10, firing.GetProperty("threshold").GetDouble());
        Assert.Equal(clock.GetUtcNow(), firing.GetProperty("time").GetDateTimeOffset());
        var alerts = await (await host.Client.GetAsync($"/api/v1/groups/{group}/alerts?state=firing")).ReadJsonAsync(HttpStatusCode.OK);
        var alertId = Assert.Single(alerts.EnumerateArray()).GetProperty("id").GetInt64();

        // :: Resolves once the errors leave the window (fewer requests than the minimum say nothing).
        clock.Advance(TimeSpan.FromMinutes(2));
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal(2, hook.Delivered.Count);
        Assert.Equal("resolved", hook.Delivered.Last().GetProperty("state").GetString());
        Assert.Equal(alertId, hook.Delivered.Last().GetProperty("alertId").GetInt64());

        // :: Fires again within the cool-down: recorded, not sent; and neither is its resolution.
        await ErrorsAsync(host, clock, group, ok: 150, errors: 100);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2));
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal(2, hook.Delivered.Count);
        var history = await (await host.Client.GetAsync($"/api/v1/groups/{group}/alerts")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, history.GetArrayLength());
        Assert.All(history.EnumerateArray(), a => Assert.Equal("resolved", a.GetProperty("state").GetString()));
        Assert.False(history[0].TryGetProperty("notifiedAt", out _), "the suppressed alert was never notified");
        Assert.True(history[1].TryGetProperty("notifiedAt", out _));

        // :: After the cool-down it notifies again.
        clock.Advance(TimeSpan.FromMinutes(4));
        await ErrorsAsync(host, clock, group, ok: 150, errors: 200);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal(3, hook.Delivered.Count);
        Assert.Equal("firing", hook.Delivered.Last().GetProperty("state").GetString());

        // :: Ack records actor and time, and a second ack keeps the first.
        var acked = await (await host.Client.PostAsync($"/api/v1/groups/{group}/alerts/{alertId}/ack", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", acked.GetProperty("ackedBy").GetString());
        Assert.Equal(clock.GetUtcNow(), acked.GetProperty("ackedAt").GetDateTimeOffset());
        clock.Advance(TimeSpan.FromMinutes(1));
        var again = await (await host.Client.PostAsync($"/api/v1/groups/{group}/alerts/{alertId}/ack", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(acked.GetProperty("ackedAt").GetDateTimeOffset(), again.GetProperty("ackedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Webhook_FailsTwice_RetriedUntilDelivered_AndGivesUpWhenBounded()
    {
        var (host, clock, evaluator) = await StartAsync();
        await using var adminHost = host;
        await using var hook = await WebhookReceiver.StartAsync();
        var group = await host.CreateGroupAsync();
        await CreateRuleAsync(host, group, $$"""
            {"name":"p99","kind":"p99Latency","threshold":5,"window":"1m","minRequests":1,"cooldown":"0s","webhookUrl":"{{hook.Url}}"}
            """);
        await StatsApiTests.SendAsync(host, StatsApiTests.Heartbeat(group, "gw-1", "p1", NoApis), clock.GetUtcNow());
        await StatsApiTests.SendAsync(host, StatsApiTests.Heartbeat(group, "gw-1", "p1", ("orders", "list", [0, 10, 0, 0, 0], [0, 0, 0, 10, 0])),
            clock.GetUtcNow());

        hook.FailNext(2);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal(3, hook.Calls);
        Assert.Equal("firing", Assert.Single(hook.Delivered).GetProperty("state").GetString());
        // Ten requests in (5, 10] ms: p99 interpolates to 9.95 ms.
        Assert.Equal(9.95, hook.Delivered.Single().GetProperty("value").GetDouble(), 3);

        // Three attempts is the default bound: a receiver that keeps failing gets exactly three calls, then the admin gives up.
        hook.FailNext(100);
        clock.Advance(TimeSpan.FromMinutes(2));
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal(6, hook.Calls);
        Assert.Single(hook.Delivered);
        Assert.Contains(host.Logs.Messages, m => m.Contains("not delivered", StringComparison.Ordinal) && m.Contains("after 3 attempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GatewayNotConverged_FiresAfterForAndResolvesWhenCurrent()
    {
        var (host, clock, evaluator) = await StartAsync();
        await using var adminHost = host;
        await using var hook = await WebhookReceiver.StartAsync();
        var group = await host.CreateGroupAsync();
        await CreateRuleAsync(host, group, $$"""{"name":"lag","kind":"gatewayNotConverged","for":"1m","webhookUrl":"{{hook.Url}}"}""");
        string Beat(long version) => $$"""{"nodeId":"gw-1","group":"{{group}}","controlAddress":"http://127.0.0.1:1","version":{{version}},"checksum":"c"}""";
        await StatsApiTests.SendAsync(host, Beat(1), clock.GetUtcNow());

        // Version 2 is published; the gateway stays on 1. Within "for" that is normal propagation.
        await (await host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders")))).ReadJsonAsync(HttpStatusCode.Created);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Empty(hook.Delivered);

        clock.Advance(TimeSpan.FromSeconds(90));
        await StatsApiTests.SendAsync(host, Beat(1), clock.GetUtcNow());
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        var fired = Assert.Single(hook.Delivered);
        Assert.Equal(1, fired.GetProperty("value").GetDouble());
        Assert.Contains("gw-1 on 1 (expected 2)", fired.GetProperty("detail").GetString());

        await StatsApiTests.SendAsync(host, Beat(2), clock.GetUtcNow());
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal("resolved", hook.Delivered.Last().GetProperty("state").GetString());
    }

    [Fact]
    public async Task QpsDrop_ComparesWithTheWindowBefore()
    {
        var (host, clock, evaluator) = await StartAsync();
        await using var adminHost = host;
        await using var hook = await WebhookReceiver.StartAsync();
        var group = await host.CreateGroupAsync();
        await CreateRuleAsync(host, group, $$"""
            {"name":"drop","kind":"qpsDrop","threshold":50,"window":"1m","minRequests":100,"webhookUrl":"{{hook.Url}}"}
            """);
        await ErrorsAsync(host, clock, group, ok: 0, errors: 0);

        // 600 requests in the first minute, 240 in the next: a 60% drop.
        var ok = 0L;
        for (var i = 0; i < 6; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await ErrorsAsync(host, clock, group, ok += 100, errors: 0);
        }

        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Empty(hook.Delivered);
        for (var i = 0; i < 6; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await ErrorsAsync(host, clock, group, ok += 40, errors: 0);
        }

        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        var fired = Assert.Single(hook.Delivered);
        Assert.Equal(60, fired.GetProperty("value").GetDouble(), 3);
    }

    [Fact]
    public async Task NodeUnhealthy_ExpiredRegistryNode_FiresAndResolvesOnHeartbeat()
    {
        var (host, clock, evaluator) = await StartAsync();
        await using var adminHost = host;
        await using var hook = await WebhookReceiver.StartAsync();
        var group = await host.CreateGroupAsync();
        await CreateRuleAsync(host, group, $$"""{"name":"nodes","kind":"nodeUnhealthy","service":"orders","webhookUrl":"{{hook.Url}}"}""");
        var registration = $$"""{"group":"{{group}}","service":"orders","host":"127.0.0.1","port":5301,"apis":[{"methods":["GET"],"path":"/orders"}]}""";
        await (await host.Client.PostAsync("/api/v1/registry/instances", AdminHost.Json(registration))).ReadJsonAsync(HttpStatusCode.OK);
        var sweeper = host.GetService<Gatehouse.Admin.Registry.RegistrySweeper>();

        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Empty(hook.Delivered);

        clock.Advance(TimeSpan.FromSeconds(20));
        await sweeper.SweepOnceAsync(CancellationToken.None);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        var fired = Assert.Single(hook.Delivered);
        Assert.Equal(1, fired.GetProperty("value").GetDouble());
        Assert.Contains("orders/127.0.0.1:5301", fired.GetProperty("detail").GetString());

        // The node registers again (the SDK's answer to its heartbeat's 404): its lease is live, the alert resolves.
        await (await host.Client.PostAsync("/api/v1/registry/instances", AdminHost.Json(registration))).ReadJsonAsync(HttpStatusCode.OK);
        await evaluator.EvaluateOnceAsync(CancellationToken.None);
        Assert.Equal("resolved", hook.Delivered.Last().GetProperty("state").GetString());
    }
}

public sealed class AlertEvaluationTestsSqlite(SqliteAdmin fixture) : AlertEvaluationTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class AlertEvaluationTestsPostgres(PostgresAdmin fixture) : AlertEvaluationTests(fixture), IClassFixture<PostgresAdmin>;
