using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Resilience;

public class CircuitBreakerTests
{
    private static readonly CircuitBreakerPolicy Policy = new()
    {
        FailureRatio = 0.5,
        SlowCallRatio = 0.5,
        SlowCall = TimeSpan.FromMilliseconds(100),
        MinimumThroughput = 4,
        Window = TimeSpan.FromSeconds(10),
        OpenDuration = TimeSpan.FromSeconds(5),
        HalfOpenProbes = 2,
    };

    private readonly TestTimeProvider _time = new();
    private readonly List<(CircuitState From, CircuitState To)> _transitions = [];

    private CircuitBreaker Create(CircuitBreakerPolicy? policy = null)
        => new("s/api", policy ?? Policy, _time, (_, from, to, _) => _transitions.Add((from, to)));

    private static void Call(CircuitBreaker breaker, CallOutcome outcome)
    {
        Assert.True(breaker.TryAcquire(out _));
        breaker.Record(outcome);
    }

    [Fact]
    public void Record_FailuresBelowMinimumThroughput_StaysClosed()
    {
        var breaker = Create();
        for (var i = 0; i < 3; i++)
        {
            Call(breaker, CallOutcome.Failure);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Empty(_transitions);
    }

    [Fact]
    public void Record_FailureRatioReached_OpensAndRejectsWithRemainingTime()
    {
        var breaker = Create();
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Failure);
        Assert.Equal(CircuitState.Closed, breaker.State);

        Call(breaker, CallOutcome.Failure); // 2 of 4 = 0.5

        Assert.Equal(CircuitState.Open, breaker.State);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(breaker.TryAcquire(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);
        Assert.Equal([(CircuitState.Closed, CircuitState.Open)], _transitions);
    }

    [Fact]
    public void Record_SlowCallRatioReached_Opens()
    {
        var breaker = Create();
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Slow);
        Call(breaker, CallOutcome.Slow);

        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void Record_OldFailuresLeaveTheWindow_StaysClosed()
    {
        var breaker = Create();
        Call(breaker, CallOutcome.Failure);
        Call(breaker, CallOutcome.Failure);
        _time.Advance(TimeSpan.FromSeconds(11)); // both failures are out of the 10 s window

        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Success);
        Call(breaker, CallOutcome.Failure); // 1 of 4

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Record_IgnoredOutcomes_DoNotCount()
    {
        var breaker = Create();
        for (var i = 0; i < 10; i++)
        {
            Call(breaker, CallOutcome.Ignored);
        }

        Call(breaker, CallOutcome.Failure);
        Call(breaker, CallOutcome.Failure);
        Assert.Equal(CircuitState.Closed, breaker.State); // 2 calls: below the minimum throughput
    }

    private CircuitBreaker Opened()
    {
        var breaker = Create();
        for (var i = 0; i < 4; i++)
        {
            Call(breaker, CallOutcome.Failure);
        }

        Assert.Equal(CircuitState.Open, breaker.State);
        return breaker;
    }

    [Fact]
    public void TryAcquire_AfterOpenDuration_HalfOpenAdmitsOnlyTheProbes()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(breaker.TryAcquire(out _));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.True(breaker.TryAcquire(out _));
        Assert.False(breaker.TryAcquire(out var retryAfter));
        Assert.True(retryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void Record_ProbesSucceed_ClosesWithFreshWindow()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.TryAcquire(out _));
        Assert.True(breaker.TryAcquire(out _));

        breaker.Record(CallOutcome.Success);
        Assert.Equal(CircuitState.HalfOpen, breaker.State); // waits for every probe
        breaker.Record(CallOutcome.Success);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(
            [(CircuitState.Closed, CircuitState.Open), (CircuitState.Open, CircuitState.HalfOpen), (CircuitState.HalfOpen, CircuitState.Closed)],
            _transitions);

        // The failures that opened it are forgotten: one more failure does not reopen it.
        Call(breaker, CallOutcome.Failure);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Record_ProbeFails_ReopensForAnotherOpenDuration()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.TryAcquire(out _));
        Assert.True(breaker.TryAcquire(out _));
        breaker.Record(CallOutcome.Success);
        breaker.Record(CallOutcome.Failure); // 1 of 2 = 0.5

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter);
    }

    [Fact]
    public void Record_IgnoredProbe_FreesItsPermit()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.TryAcquire(out _));
        Assert.True(breaker.TryAcquire(out _));
        Assert.False(breaker.TryAcquire(out _));

        breaker.Record(CallOutcome.Ignored);

        Assert.True(breaker.TryAcquire(out _));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
    }

    [Fact]
    public void Record_ConcurrentSuccesses_CountedWithoutLoss()
    {
        var breaker = Create(Policy with { MinimumThroughput = 40_001, FailureRatio = 1.0 / 40_001 });
        Parallel.For(0, 40_000, _ => Call(breaker, CallOutcome.Success));

        // 40000 successes plus this failure reach the minimum throughput exactly: the ratio is 1/40001.
        Call(breaker, CallOutcome.Failure);

        Assert.Equal(CircuitState.Open, breaker.State);
    }
}
