using System.Collections.Concurrent;
using Gatehouse.Redis.Tests.Infrastructure;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>The availability flag and its probe against a real redis-server, which each test may kill.</summary>
public sealed class RedisAvailabilityTests : IAsyncLifetime
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    private readonly RedisServer _server = new();
    private readonly ConcurrentQueue<string> _outages = new();
    private readonly ConcurrentQueue<bool> _recoveries = new();
    private RedisClient _client = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _client = new RedisClient(new RedisOptions
        {
            Address = _server.Address,
            // Generous: a slow first PING on a loaded box would be a real (announced) outage and spoil the counts.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(5),
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private RedisAvailability NewAvailability(Func<IRedisClient, Task>? onProbeSucceeded = null) =>
        new(_client, ProbeInterval, error => _outages.Enqueue(error.Message), _recoveries.Enqueue, onProbeSucceeded);

    [Fact]
    public async Task Start_ServerUp_AnnouncesConnectedAndNoOutage()
    {
        await using var availability = NewAvailability();
        Assert.False(availability.IsAvailable);

        availability.Start();
        availability.Start();
        await WaitUntilAsync(() => availability.IsAvailable, "available");

        Assert.Equal(new[] { false }, _recoveries);
        Assert.Empty(_outages);
    }

    [Fact]
    public async Task ReportFailure_ServerDown_AnnouncesOneOutageThenRecovery()
    {
        await using var availability = NewAvailability();
        availability.Start();
        await WaitUntilAsync(() => availability.IsAvailable, "available");

        // The first failure of the outage announces it, whether a call reports it or the lost connection does.
        await _server.StopAsync();
        availability.ReportFailure(new InvalidOperationException("first"));
        availability.ReportFailure(new InvalidOperationException("second"));

        // More failed calls and several failed probes while down: still the one announcement.
        await Task.Delay(ProbeInterval * 6);
        availability.ReportFailure(new InvalidOperationException("third"));
        Assert.False(availability.IsAvailable);
        Assert.Single(_outages);
        var announced = _outages.Single();

        await _server.StartAsync();
        await WaitUntilAsync(() => availability.IsAvailable, "recovered");
        Assert.Equal(new[] { false, true }, _recoveries);
        Assert.Equal(new[] { announced }, _outages);
    }

    // The flag follows the client's connection events: a lost connection clears it with no failed call, and a
    // restored one wakes the probe at once. The probe interval is far longer than the test, so only the events can
    // explain both changes.
    [Fact]
    public async Task ConnectionEvents_ServerKilledAndRestarted_FlagFollowsWithoutCallsOrProbeTimer()
    {
        await using var availability = new RedisAvailability(_client, TimeSpan.FromMinutes(5),
            error => _outages.Enqueue(error.Message), _recoveries.Enqueue);
        availability.Start();
        await WaitUntilAsync(() => availability.IsAvailable, "available");

        await _server.StopAsync();
        await WaitUntilAsync(() => !availability.IsAvailable, "cleared by the lost connection", TimeSpan.FromSeconds(30));
        Assert.Single(_outages);

        await _server.StartAsync();
        await WaitUntilAsync(() => availability.IsAvailable, "set again by the restored connection", TimeSpan.FromSeconds(60));
        Assert.Equal(new[] { false, true }, _recoveries);
    }

    [Fact]
    public async Task OnProbeSucceeded_Throws_StaysUnavailableAndAnnouncesOnce()
    {
        var calls = 0;
        await using var availability = NewAvailability(_ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("hook failed");
        });

        availability.Start();
        await WaitUntilAsync(() => Volatile.Read(ref calls) >= 3, "three probes");

        Assert.False(availability.IsAvailable);
        Assert.Equal(new[] { "hook failed" }, _outages);
        Assert.Empty(_recoveries);
    }

    [Fact]
    public async Task OnProbeSucceeded_RunsBeforeTheFlagIsSet()
    {
        var availableDuringHook = true;
        RedisAvailability? availability = null;
        availability = NewAvailability(async client =>
        {
            await client.PingAsync();
            availableDuringHook = availability!.IsAvailable;
        });
        await using (availability)
        {
            availability.Start();
            await WaitUntilAsync(() => availability.IsAvailable, "available");
        }

        Assert.False(availableDuringHook);
    }

}
