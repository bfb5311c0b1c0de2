using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Gatehouse.ZooKeeper.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gatehouse.ZooKeeper.Tests;

/// <summary>The client against a real 3-server ensemble: spreading over it, and a leader crash.</summary>
[Collection(ZooKeeperEnsembleCollection.Name)]
public sealed class EnsembleTests(ZooKeeperEnsemble ensemble, ITestOutputHelper output)
{
    private const int Registered = 5;

    [Fact]
    public async Task ConnectAsync_SeveralServers_ShuffledOrderSpreadsClientsOverTheEnsemble()
    {
        var shuffled = new List<ZooKeeperClient>();
        var ordered = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                shuffled.Add(await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = ensemble.ConnectString }));
                ordered.Add(await TestClients.ConnectAsync(new ZooKeeperClientOptions { ConnectString = ensemble.ConnectString, ShuffleServers = false }));
            }

            // 12 clients all on one of 3 servers by chance: 3 × (1/3)^12 ≈ 6e-6.
            Assert.True(shuffled.Select(c => c.ConnectedServer).Distinct().Count() >= 2,
                "shuffled clients: " + string.Join(", ", shuffled.Select(c => c.ConnectedServer)));
            Assert.All(ordered, c => Assert.Equal(ensemble.ServerOf(0), c.ConnectedServer));
        }
        finally
        {
            foreach (var client in shuffled.Concat(ordered))
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LeaderKilled_SessionsMoveToSurvivors_EphemeralsSurvive_MirrorSeesNoChange()
    {
        var root = "/ensemble-" + Guid.NewGuid().ToString("N")[..8] + "/nodes";
        var leader = await ensemble.LeaderAsync();
        Assert.NotEqual(-1, leader);
        var followers = Enumerable.Range(0, ZooKeeperEnsemble.Size).Where(i => i != leader).ToArray();

        // The registering client sits on the leader, so its session must move; the mirroring one on a follower
        // (which drops its clients too while the survivors elect a new leader).
        await using var registrar = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = string.Join(',', new[] { leader }.Concat(followers).Select(ensemble.ServerOf)),
            ShuffleServers = false,
            SessionTimeout = TimeSpan.FromSeconds(10),
        });
        await using var mirrorClient = await TestClients.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = string.Join(',', followers.Concat([leader]).Select(ensemble.ServerOf)),
            ShuffleServers = false,
            SessionTimeout = TimeSpan.FromSeconds(10),
        });
        Assert.Equal(ensemble.ServerOf(leader), registrar.ConnectedServer);
        var (registrarSession, mirrorSession) = (registrar.SessionId, mirrorClient.SessionId);

        await using var keeper = new EphemeralNodeKeeper(registrar);
        for (var i = 0; i < Registered; i++)
        {
            await keeper.RegisterAsync($"{root}/10.0.0.{i}:80", Encoding.UTF8.GetBytes($"node {i}"));
        }

        var snapshots = new ConcurrentQueue<IReadOnlyDictionary<string, byte[]>>();
        await using var mirror = new ChildrenWatcher(mirrorClient, root, snapshots.Enqueue);
        await mirror.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(mirror.Current.Count == Registered), "the mirror holds every registration");
        var before = snapshots.Count;

        // A raw one-shot children watch besides the recipe: any removal or re-creation at all would fire it.
        var rawEvents = new Recorder<WatchedEvent>();
        await mirrorClient.GetChildrenAsync(root, rawEvents.Add);

        var clock = Stopwatch.StartNew();
        var registrarBack = ResumedAt(registrar, clock);
        var mirrorBack = ResumedAt(mirrorClient, clock);
        var newLeader = Task.Run(async () =>
        {
            while (true)
            {
                var index = await ensemble.LeaderAsync();
                if (index >= 0 && index != leader)
                {
                    return clock.Elapsed;
                }

                await Task.Delay(20);
            }
        });
        try
        {
            await ensemble.KillAsync(leader);

            var registrarResumed = await registrarBack.WaitAsync(TimeSpan.FromSeconds(30));
            var mirrorResumed = await mirrorBack.WaitAsync(TimeSpan.FromSeconds(30));
            var elected = await newLeader.WaitAsync(TimeSpan.FromSeconds(30));

            // Same sessions, now on survivors; the registrations are the same znodes, still owned by that session.
            Assert.False(registrarResumed.Change.IsNewSession);
            Assert.False(mirrorResumed.Change.IsNewSession);
            Assert.Equal(registrarSession, registrar.SessionId);
            Assert.Equal(mirrorSession, mirrorClient.SessionId);
            Assert.NotEqual(ensemble.ServerOf(leader), registrar.ConnectedServer);
            var listing = await mirrorClient.GetChildrenAsync(root);
            Assert.Equal(Registered, listing.Children.Count);
            foreach (var child in listing.Children)
            {
                Assert.Equal(registrarSession, (await mirrorClient.ExistsAsync($"{root}/{child}"))!.EphemeralOwner);
            }

            // Nothing changed for the mirror: no snapshot, no raw children event, no removal.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var during = snapshots.Count - before;
            var removals = CountRemovals(snapshots);
            Assert.Equal(0, during);
            Assert.Equal(0, removals);
            Assert.Empty(rawEvents.Items);
            Assert.Equal(Registered, mirror.Current.Count);

            // The watches were re-registered on the new server: the next registration reaches the mirror, once.
            await keeper.RegisterAsync($"{root}/10.0.0.99:80", Encoding.UTF8.GetBytes("late"));
            Assert.Equal(WatchedEventType.NodeChildrenChanged, (await rawEvents.WaitForAsync(_ => true)).Type);
            await Eventually.TrueAsync(() => Task.FromResult(mirror.Current.Count == Registered + 1), "the mirror sees the registration made after the failover");
            Assert.Equal(1, snapshots.Count - before);

            output.WriteLine($"leader zk{leader + 1} killed; new leader serving after {elected.TotalMilliseconds:0} ms");
            output.WriteLine($"registering session resumed on {registrar.ConnectedServer} after {registrarResumed.At.TotalMilliseconds:0} ms");
            output.WriteLine($"mirroring session resumed on {mirrorClient.ConnectedServer} after {mirrorResumed.At.TotalMilliseconds:0} ms");
            output.WriteLine($"ephemeral registrations surviving: {listing.Children.Count}/{Registered}; mirror changes during the failover: {during}, removals: {removals}");
        }
        finally
        {
            await ensemble.RestartAsync(leader);
        }
    }

    /// <summary>Completes with the time of the next Connected after a Disconnected.</summary>
    private static Task<(ZooKeeperStateChange Change, TimeSpan At)> ResumedAt(ZooKeeperClient client, Stopwatch clock)
    {
        var resumed = new TaskCompletionSource<(ZooKeeperStateChange, TimeSpan)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lost = false;
        client.StateChanged += change =>
        {
            lost |= change.State == ZooKeeperState.Disconnected;
            if (lost && change.State == ZooKeeperState.Connected)
            {
                resumed.TrySetResult((change, clock.Elapsed));
            }
        };
        return resumed.Task;
    }

    private static int CountRemovals(IEnumerable<IReadOnlyDictionary<string, byte[]>> snapshots)
    {
        var removals = 0;
        IReadOnlyDictionary<string, byte[]>? previous = null;
        foreach (var snapshot in snapshots)
        {
            if (previous is not null)
            {
                removals += previous.Keys.Count(name => !snapshot.ContainsKey(name));
            }

            previous = snapshot;
        }

        return removals;
    }
}
