using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Filters;

public class KeyedRateLimiterTests
{
    private static (KeyedRateLimiter Limiter, TestTimeProvider Clock) Create(RateLimitAlgorithm algorithm, int limit, int windowMs = 1000, int? burst = null)
    {
        var clock = new TestTimeProvider();
        var config = new RateLimitConfig { Algorithm = algorithm, Limit = limit, WindowMs = windowMs, Burst = burst };
        return (new KeyedRateLimiter(config, clock), clock);
    }

    /// <summary>
    /// Offers requests at <paramref name="rate"/> per second on average for <paramref name="seconds"/>, with
    /// exponential (Poisson) gaps as independent clients produce; returns how many were admitted.
    /// </summary>
    private static int Drive(KeyedRateLimiter limiter, TestTimeProvider clock, int rate, int seconds)
    {
        var random = new Random(42);
        var admitted = 0;
        var elapsed = 0.0;
        while (elapsed < seconds)
        {
            if (limiter.TryAcquire("").Allowed)
            {
                admitted++;
            }

            var gap = -Math.Log(1 - random.NextDouble()) / rate;
            elapsed += gap;
            clock.Advance(TimeSpan.FromSeconds(gap));
        }

        return admitted;
    }

    [Fact]
    public void TokenBucket_BurstThenSteadyRate_Exact()
    {
        var (limiter, clock) = Create(RateLimitAlgorithm.TokenBucket, limit: 10, burst: 5);
        for (var i = 0; i < 5; i++)
        {
            var decision = limiter.TryAcquire("");
            Assert.True(decision.Allowed);
            Assert.Equal(4 - i, decision.Remaining);
        }

        var refused = limiter.TryAcquire("");
        Assert.False(refused.Allowed);
        Assert.Equal(100_000_000, refused.Wait); // one emission interval: 100 ms in ns

        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(limiter.TryAcquire("").Allowed);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire("").Allowed);
        Assert.False(limiter.TryAcquire("").Allowed);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket, 100)]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 100)]
    [InlineData(RateLimitAlgorithm.TokenBucket, 7)]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 7)]
    [InlineData(RateLimitAlgorithm.TokenBucket, 5000)]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 5000)]
    public void FiveTimesOverload_AdmittedRateWithinTwoPercent(RateLimitAlgorithm algorithm, int limit)
    {
        var (limiter, clock) = Create(algorithm, limit);
        Drive(limiter, clock, rate: limit * 5, seconds: 1); // spend the initial burst: measure the steady rate
        var admitted = Drive(limiter, clock, rate: limit * 5, seconds: 10);
        var expected = limit * 10;
        Assert.InRange(admitted, expected * 0.98, expected * 1.02);
    }

    [Fact]
    public void TokenBucket_BurstOfOne_ShapesToNoMoreThanTheRate()
    {
        var (limiter, clock) = Create(RateLimitAlgorithm.TokenBucket, 100, burst: 1);
        var admitted = Drive(limiter, clock, rate: 500, seconds: 10);
        Assert.InRange(admitted, 700, 1000); // never above the rate; gaps after each slot are not made up
    }

    [Fact]
    public void SlidingWindow_NoDoubleBurstAtWindowEdge()
    {
        var (limiter, clock) = Create(RateLimitAlgorithm.SlidingWindow, limit: 100);
        clock.Advance(TimeSpan.FromMilliseconds(900 - clock.GetTimestamp() / 1_000_000 % 1000)); // 90% into a window
        var first = 0;
        for (var i = 0; i < 200; i++)
        {
            first += limiter.TryAcquire("").Allowed ? 1 : 0;
        }

        clock.Advance(TimeSpan.FromMilliseconds(200)); // 10% into the next window
        var second = 0;
        for (var i = 0; i < 200; i++)
        {
            second += limiter.TryAcquire("").Allowed ? 1 : 0;
        }

        Assert.Equal(100, first);
        // A fixed window would admit another 100 here; the weighted previous window (90 of 100) leaves ~10.
        Assert.InRange(second, 9, 11);
    }

    [Fact]
    public void SlidingWindow_RefusalReportsUsableWait()
    {
        var (limiter, clock) = Create(RateLimitAlgorithm.SlidingWindow, limit: 10);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryAcquire("").Allowed);
        }

        var refused = limiter.TryAcquire("");
        Assert.False(refused.Allowed);
        Assert.True(refused.Wait > 0);
        clock.Advance(TimeSpan.FromTicks((refused.Wait + 99) / 100)); // ns to 100-ns ticks, rounded up
        Assert.True(limiter.TryAcquire("").Allowed);
    }

    [Fact]
    public void Keys_CountedSeparately()
    {
        var (limiter, _) = Create(RateLimitAlgorithm.TokenBucket, limit: 2);
        Assert.True(limiter.TryAcquire("a").Allowed);
        Assert.True(limiter.TryAcquire("a").Allowed);
        Assert.False(limiter.TryAcquire("a").Allowed);
        Assert.True(limiter.TryAcquire("b").Allowed);
        Assert.True(limiter.TryAcquire("").Allowed);
        Assert.Equal(2, limiter.KeyCount);
    }

    [Fact]
    public void Sweep_ForgetsOnlyIdleKeys()
    {
        var (limiter, clock) = Create(RateLimitAlgorithm.TokenBucket, limit: 10);
        limiter.TryAcquire("old");
        clock.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("busy");
        }

        Assert.Equal(1, limiter.Sweep());
        Assert.Equal(1, limiter.KeyCount);
        Assert.False(limiter.TryAcquire("busy").Allowed); // the busy key kept its state
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.TokenBucket, 1000, 500, 500)]   // token bucket: exactly the burst
    [InlineData(RateLimitAlgorithm.SlidingWindow, 700, null, 700)] // sliding window: exactly the limit
    public void ConcurrentAcquires_FrozenClock_AdmitExactly(RateLimitAlgorithm algorithm, int limit, int? burst, int expected)
    {
        var (limiter, _) = Create(algorithm, limit, burst: burst);
        var admitted = 0;
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (limiter.TryAcquire("k").Allowed)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });
        Assert.Equal(expected, admitted);
    }

    [Fact]
    public void TryAcquire_KnownKey_DoesNotAllocate()
    {
        var (limiter, _) = Create(RateLimitAlgorithm.TokenBucket, limit: 1_000_000);
        var key = "client-1".ToCharArray();
        limiter.TryAcquire(key);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            limiter.TryAcquire(key);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
