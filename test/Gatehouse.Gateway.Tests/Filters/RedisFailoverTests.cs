using System.Diagnostics;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Filters.RateLimiting.Distributed;
using Gatehouse.Redis.Tests.Infrastructure;
using Xunit.Abstractions;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>
/// The primary dies under load: on Sentinel the replica is promoted, on a Cluster the killed primary's replica takes
/// its slots. Limits keep deciding throughout (the fallback while Redis is unavailable, never an error), and shared
/// limiting comes back on the new primary without a restart. Each test has its own servers, which it kills.
/// </summary>
public sealed class RedisFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SentinelPrimaryKilledUnderLoad_LimitsKeepDeciding_SharedAgainOnNewPrimary()
    {
        await using var sentinel = new RedisSentinelSet();
        await sentinel.InitializeAsync();
        var oldPrimary = await sentinel.CurrentPrimaryPortAsync();

        var result = await RunThroughFailoverAsync(sentinel.Address, () => sentinel.Primary.StopAsync(),
            async () => await sentinel.CurrentPrimaryPortAsync() != oldPrimary);

        Assert.Equal(sentinel.Replica.Port, await sentinel.CurrentPrimaryPortAsync());
        Report("sentinel", result);
    }

    [Fact]
    public async Task ClusterPrimaryKilledUnderLoad_LimitsKeepDeciding_SharedAgainOnPromotedReplica()
    {
        await using var cluster = new RedisCluster();
        await cluster.InitializeAsync();
        var primary = cluster.Nodes[0];
        var others = cluster.Nodes.Skip(1).ToArray();

        var result = await RunThroughFailoverAsync(cluster.Address, () => primary.StopAsync(), async () =>
        {
            // Done when the others agree the killed primary failed (FAIL, not just suspected) and every slot is
            // served again, which takes a promoted replica.
            var info = await RedisCli.RunAsync(others[0].Port, "cluster", "info");
            var killed = (await RedisCli.RunAsync(others[0].Port, "cluster", "nodes")).Split('\n')
                .Single(line => line.Contains($":{primary.Port}@", StringComparison.Ordinal));
            return info.Contains("cluster_state:ok", StringComparison.Ordinal)
                && killed.Contains("fail", StringComparison.Ordinal) && !killed.Contains("fail?", StringComparison.Ordinal);
        });

        Report("cluster", result);
    }

    private void Report(string topology, FailoverResult result)
    {
        output.WriteLine($"{topology}: {result.Decisions} decisions in {result.Elapsed.TotalSeconds:F1} s, {result.Errors} errors, " +
            $"{result.FallbackDecisions} decided by the fallback, shared again {result.SharedAgainAfter.TotalSeconds:F1} s after the kill");
        Assert.Equal(0, result.Errors);
        Assert.True(result.FallbackDecisions > 0, "the outage was never noticed: the kill did not happen under load");
    }

    // Four callers acquire in a loop on rotating keys while the primary is killed; the loop ends once the backend is
    // available again, the topology says the failover is done, and a shared decision went through.
    private static async Task<FailoverResult> RunThroughFailoverAsync(string address, Func<Task> kill, Func<Task<bool>> failedOver)
    {
        await using var gateway = await RedisBackends.StartAsync(address, gatewayCount: 1);
        var config = new RateLimitConfig { Limit = 1_000_000, WindowMs = 60_000, Store = RateLimitStore.Redis, Fallback = RateLimitFallback.Local };
        var limiter = new RedisRateLimiter($"service:{Guid.NewGuid():N}", config, gateway.Backend, TimeProvider.System);
        long decisions = 0, errors = 0, fallback = 0;
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var usedFallback = !gateway.Backend.IsAvailable;
                    var decision = await limiter.AcquireAsync("key-" + (c * 1000 + i++ % 50));
                    Interlocked.Increment(ref decisions);
                    if (usedFallback)
                    {
                        Interlocked.Increment(ref fallback);
                    }
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }

                await Task.Delay(2);
            }
        })).ToArray();

        var watch = Stopwatch.StartNew();
        await Task.Delay(500);
        await kill();
        var killedAt = watch.Elapsed;
        await WaitUntilAsync(() => !gateway.Backend.IsAvailable, "outage noticed", TimeSpan.FromSeconds(30));
        bool available = false, done = false;
        try
        {
            await WaitUntilAsync(async () =>
            {
                available = gateway.Backend.IsAvailable;
                done = await failedOver();
                return available && done;
            }, "failed over and shared again", TimeSpan.FromSeconds(60));
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new TimeoutException($"{ex.Message}: available {available}, failed over {done}; gateway log: " +
                string.Join(" | ", gateway.Logger.Entries.Select(e => e.Message)), ex);
        }

        var sharedAgain = watch.Elapsed - killedAt;

        // Shared decisions on keys of every slot range, the failed-over ones included: the client has learnt the
        // new topology when a full round leaves the backend available.
        await WaitUntilAsync(async () =>
        {
            for (var k = 0; k < 200; k++)
            {
                if (!(await limiter.AcquireAsync("after-" + k)).Allowed || !gateway.Backend.IsAvailable)
                {
                    return false;
                }
            }

            return true;
        }, "shared decisions on every key through the new primary", TimeSpan.FromSeconds(30));

        await stop.CancelAsync();
        await Task.WhenAll(callers);
        return new FailoverResult(decisions, errors, fallback, watch.Elapsed, sharedAgain);
    }

    private sealed record FailoverResult(long Decisions, long Errors, long FallbackDecisions, TimeSpan Elapsed, TimeSpan SharedAgainAfter);
}
