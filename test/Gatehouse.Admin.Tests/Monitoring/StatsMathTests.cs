using Gatehouse.Admin.Monitoring;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Monitoring;

public class LatencyQuantilesTests
{
    private static readonly double[] Bounds = [1, 2, 5, 10];

    [Fact]
    public void Quantile_NoObservations_IsNull() => Assert.Null(LatencyQuantiles.Quantile([0, 0, 0, 0, 0], Bounds, 0.5));

    [Theory]
    // 100 observations all in (2, 5]: the median interpolates to the bucket's middle, p99 near its top.
    [InlineData(new long[] { 0, 0, 100, 0, 0 }, 0.50, 3.5)]
    [InlineData(new long[] { 0, 0, 100, 0, 0 }, 0.99, 4.97)]
    // The first bucket's lower edge is 0.
    [InlineData(new long[] { 10, 0, 0, 0, 0 }, 0.50, 0.5)]
    // 90 fast, 10 slow: p50 in the first bucket, p95 half way into (5, 10].
    [InlineData(new long[] { 90, 0, 0, 10, 0 }, 0.50, 0.5556)]
    [InlineData(new long[] { 90, 0, 0, 10, 0 }, 0.95, 7.5)]
    // A rank in +Inf answers the highest finite bound.
    [InlineData(new long[] { 50, 0, 0, 0, 50 }, 0.99, 10)]
    public void Quantile_InterpolatesInsideTheBucket(long[] counts, double q, double expected) =>
        Assert.Equal(expected, LatencyQuantiles.Quantile(counts, Bounds, q)!.Value, 3);

    [Fact]
    public void Figures_MergeNodesBucketsAndShares()
    {
        var a = new StatsCell("gw-1", "s", "a", [0, 80, 0, 10, 10], [90, 0, 0, 10, 0], Bounds);
        var b = new StatsCell("gw-2", "s", "a", [0, 0, 0, 0, 100], [0, 0, 0, 0, 100], Bounds);

        var figures = StatsFigures.From([a, b], windowSeconds: 100);

        Assert.Equal(200, figures.Requests);
        Assert.Equal(2, figures.Qps);
        Assert.Equal(55, figures.ErrorRate5xx);
        Assert.Equal(5, figures.ErrorRate4xx);
        Assert.Equal(10, figures.P99Ms);
        // Merged buckets [90, 0, 0, 10, 100]: rank 100 is the last observation of (5, 10].
        Assert.Equal(10, figures.P50Ms);
        Assert.Equal(0.556, StatsFigures.From([a], 100).P50Ms!.Value, 3);
    }
}

public class StatsStoreTests
{
    private static readonly double[] Bounds = [1, 2, 5, 10];

    private static StatsReport Report(string startId, long ok, long errors, long slow = 0) =>
        new(startId, Bounds, [new ApiStatsReport("orders", "list", [0, ok, 0, 0, errors], [ok + errors - slow, 0, 0, slow, 0])]);

    [Fact]
    public void Ingest_FirstReportIsBaseline_LaterOnesAreDeltasInTheirSlot()
    {
        var clock = new ManualClock();
        var store = new StatsStore(clock);

        store.Ingest("g", "gw-1", Report("p1", ok: 1000, errors: 0));
        Assert.Empty(store.Query("g", slots: 90));

        clock.Advance(TimeSpan.FromSeconds(10));
        store.Ingest("g", "gw-1", Report("p1", ok: 1100, errors: 20));
        clock.Advance(TimeSpan.FromSeconds(10));
        store.Ingest("g", "gw-1", Report("p1", ok: 1150, errors: 20));

        var all = Assert.Single(store.Query("g", slots: 90));
        Assert.Equal([0, 150, 0, 0, 20], all.Requests);
        var lastSlot = Assert.Single(store.Query("g", slots: 1));
        Assert.Equal(50, lastSlot.Requests[1]);
        Assert.Empty(store.Query("g", slots: 1, endOffset: 2));
    }

    [Fact]
    public void Ingest_NewStartId_CountsEverythingSinceTheRestart()
    {
        var clock = new ManualClock();
        var store = new StatsStore(clock);
        store.Ingest("g", "gw-1", Report("p1", ok: 1000, errors: 0));

        store.Ingest("g", "gw-1", Report("p2", ok: 30, errors: 5));

        Assert.Equal([0, 30, 0, 0, 5], Assert.Single(store.Query("g", slots: 1)).Requests);
    }

    [Fact]
    public void Ingest_CounterWentDown_IsTakenAsRecreatedCells()
    {
        var clock = new ManualClock();
        var store = new StatsStore(clock);
        store.Ingest("g", "gw-1", Report("p1", ok: 1000, errors: 0));

        store.Ingest("g", "gw-1", Report("p1", ok: 7, errors: 0));

        Assert.Equal(7, Assert.Single(store.Query("g", slots: 1)).Requests[1]);
    }

    [Fact]
    public void Query_OlderThanRetention_IsGoneAndFiltersApply()
    {
        var clock = new ManualClock();
        var store = new StatsStore(clock);
        store.Ingest("g", "gw-1", Report("p1", ok: 0, errors: 0));
        store.Ingest("g", "gw-1", Report("p1", ok: 10, errors: 0));
        store.Ingest("g", "gw-2", Report("q1", ok: 0, errors: 0));
        store.Ingest("g", "gw-2", Report("q1", ok: 4, errors: 0));

        Assert.Equal(2, store.Query("g", 90).Count);
        Assert.Equal(4, Assert.Single(store.Query("g", 90, node: "gw-2")).Requests[1]);
        Assert.Empty(store.Query("g", 90, service: "other"));
        Assert.Empty(store.Query("other-group", 90));

        clock.Advance(StatsStore.Retention + StatsStore.Resolution);
        Assert.Empty(store.Query("g", StatsStore.SlotCount));
    }

    [Fact]
    public void Ingest_MalformedEntries_AreSkipped()
    {
        var store = new StatsStore(new ManualClock());
        var bad = new StatsReport("p1", Bounds, [new ApiStatsReport("s", "a", [1, 2], [1]), new ApiStatsReport(null, "a", [0, 1, 0, 0, 0], [1, 0, 0, 0, 0])]);

        store.Ingest("g", "gw-1", bad);
        store.Ingest("g", "gw-1", bad);
        store.Ingest("g", "gw-1", null);

        Assert.Empty(store.Query("g", 90));
    }
}
