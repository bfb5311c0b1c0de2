using System.Text.Json;
using Gatehouse.Gateway.Observability.AccessLog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Tests.Observability.AccessLog;

public class AccessLogWriterTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static AccessLogWriter Writer(IAccessLogSink sink, int capacity) =>
        new(new AccessLogOptions { Enabled = true, QueueCapacity = capacity }, sink, NullLogger.Instance, TimeProvider.System);

    private static AccessLogEntry Entry(int i) => new()
    {
        StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp(),
        Method = "GET",
        Target = "/item/" + i,
        Status = 200,
    };

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out: " + what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public void ToUtcTicks_MapsTimestampsThroughTheInjectedWallClock()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var writer = new AccessLogWriter(new AccessLogOptions { Enabled = true }, new GatedSink(open: true), NullLogger.Instance, clock);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var halfSecondAgo = now - System.Diagnostics.Stopwatch.Frequency / 2;

        var mapped = new DateTime(writer.ToUtcTicks(halfSecondAgo), DateTimeKind.Utc);
        var expected = new DateTime(2026, 3, 1, 11, 59, 59, 500, DateTimeKind.Utc);
        Assert.InRange((mapped - expected).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Disabled_NoQueue()
    {
        var writer = new AccessLogWriter(new AccessLogOptions(), new GatedSink(open: true), NullLogger.Instance, TimeProvider.System);
        Assert.False(writer.IsEnabled);
    }

    [Fact]
    public async Task TryEnqueue_SinkBlocked_QueueFull_DropsAndCounts_ThenWritesWhatWasKept()
    {
        var sink = new GatedSink(open: false);
        var writer = Writer(sink, capacity: 16);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            // The writer takes the first entry and blocks inside the sink: a stuck disk.
            Assert.True(writer.TryEnqueue(Entry(0)));
            Assert.True(sink.WaitEntered(Generous));

            // These calls return although nothing drains the queue: 16 fit, the rest are refused and counted.
            var accepted = 0;
            for (var i = 1; i <= 100; i++)
            {
                accepted += writer.TryEnqueue(Entry(i)) ? 1 : 0;
            }

            Assert.Equal(16, accepted);
            Assert.Equal(84, writer.Dropped);
            Assert.Equal(0, writer.Written);

            sink.Open();
            await WaitUntil(() => writer.Written == 17, "kept entries written");
            var paths = sink.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ToList();
            Assert.Equal(Enumerable.Range(0, 17).Select(i => "/item/" + i), paths);
            Assert.Equal(84, writer.Dropped);
        }
        finally
        {
            sink.Open();
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }

    [Fact]
    public async Task Burst50k_SinkBlocked_EveryCallReturns_AcceptedPlusDroppedIsAll()
    {
        var sink = new GatedSink(open: false);
        var writer = Writer(sink, capacity: 1024);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(writer.TryEnqueue(Entry(-1)));
            Assert.True(sink.WaitEntered(Generous));

            // 50k entries from four threads while the writer is stuck: no producer waits on the disk.
            var accepted = 0;
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
            {
                var mine = 0;
                for (var i = 0; i < 12_500; i++)
                {
                    mine += writer.TryEnqueue(Entry(t * 12_500 + i)) ? 1 : 0;
                }

                Interlocked.Add(ref accepted, mine);
            });

            Assert.Equal(1024, accepted);
            Assert.Equal(50_000 - 1024, writer.Dropped);

            sink.Open();
            await WaitUntil(() => writer.Written == 1025, "accepted entries written");
        }
        finally
        {
            sink.Open();
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }

    [Fact]
    public async Task Stop_WritesEverythingQueued_ThenClosesTheSink()
    {
        var sink = new GatedSink(open: true);
        var writer = Writer(sink, capacity: 4096);
        await writer.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3000; i++)
        {
            Assert.True(writer.TryEnqueue(Entry(i)));
        }

        await writer.StopAsync(CancellationToken.None);
        // Entries queued after the stop (requests the server still drains) are written on dispose.
        Assert.True(writer.TryEnqueue(Entry(3000)));
        writer.Dispose();

        Assert.Equal(3001, writer.Written);
        Assert.Equal(3001, sink.Lines.Count);
        Assert.True(sink.Disposed);
        Assert.Equal(0, writer.Dropped);
    }
}
