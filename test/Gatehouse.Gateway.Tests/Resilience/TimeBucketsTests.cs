using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Resilience;

public class TimeBucketsTests
{
    private readonly TestTimeProvider _time = new();

    [Fact]
    public void Sum_CountsInsideTheWindowOnly()
    {
        var buckets = new TimeBuckets(TimeSpan.FromSeconds(10), counters: 2, _time.TimestampFrequency);
        buckets.Add(_time.GetTimestamp(), 0, 5);
        _time.Advance(TimeSpan.FromSeconds(5));
        buckets.Add(_time.GetTimestamp(), 0, 3);
        buckets.Add(_time.GetTimestamp(), 1);

        Assert.Equal(8, buckets.Sum(_time.GetTimestamp(), 0));
        Assert.Equal(1, buckets.Sum(_time.GetTimestamp(), 1));

        _time.Advance(TimeSpan.FromSeconds(6)); // the first add is now 11 s old
        Assert.Equal(3, buckets.Sum(_time.GetTimestamp(), 0));

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, buckets.Sum(_time.GetTimestamp(), 0));
    }

    [Fact]
    public void Add_ReusedBucket_StartsFromZero()
    {
        var buckets = new TimeBuckets(TimeSpan.FromSeconds(10), counters: 1, _time.TimestampFrequency);
        buckets.Add(_time.GetTimestamp(), 0, 7);
        _time.Advance(TimeSpan.FromSeconds(10)); // same ring slot, next lap

        buckets.Add(_time.GetTimestamp(), 0);

        Assert.Equal(1, buckets.Sum(_time.GetTimestamp(), 0));
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        var buckets = new TimeBuckets(TimeSpan.FromSeconds(10), counters: 1, _time.TimestampFrequency);
        buckets.Add(_time.GetTimestamp(), 0, 7);

        buckets.Clear();

        Assert.Equal(0, buckets.Sum(_time.GetTimestamp(), 0));
    }
}
