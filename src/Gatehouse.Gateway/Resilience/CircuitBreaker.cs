using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Resilience;

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>What one call (one attempt at one node) amounted to, for the breaker.</summary>
[Flags]
internal enum CallOutcome
{
    Success = 0,
    Failure = 1,
    Slow = 2,

    /// <summary>Says nothing about the node (client gone, request rejected before sending); frees a half-open permit.</summary>
    Ignored = 4,
}

/// <summary>
/// A circuit breaker with Resilience4j's time-based semantics: closed, it counts calls, failures and slow calls
/// in a sliding window and opens once the window holds <see cref="CircuitBreakerPolicy.MinimumThroughput"/> calls
/// and either ratio reaches its threshold; open, it rejects every call for
/// <see cref="CircuitBreakerPolicy.OpenDuration"/>; then half-open, it admits
/// <see cref="CircuitBreakerPolicy.HalfOpenProbes"/> calls and, once all have completed, closes (with a fresh
/// window) or opens again by the same ratios over those probes.
/// </summary>
/// <remarks>
/// The request path is lock-free: admission while closed is one volatile read, a recorded success one interlocked
/// add, and the ratios are only evaluated when a failure or slow call is recorded (a success cannot push a ratio
/// up). Transitions, a handful per outage, take a lock so that exactly one thread moves the state and logs it.
/// Polly 8's breaker was not used: it has no slow-call ratio, and each call needs a ResilienceContext and an
/// Outcome (docs/architecture.md).
/// </remarks>
internal sealed class CircuitBreaker
{
    private const int Calls = 0;
    private const int Failures = 1;
    private const int SlowCalls = 2;

    private readonly TimeBuckets _window;
    private readonly TimeProvider _time;
    private readonly Action<CircuitBreaker, CircuitState, CircuitState, string>? _onTransition;
    private readonly Lock _transition = new();

    private int _state = (int)CircuitState.Closed;
    private long _openedAt;
    private int _probesAdmitted;
    private int _probesDone;
    private int _probeFailures;
    private int _probeSlowCalls;

    /// <param name="name">For logs: <c>service/api</c> or <c>service/api@node</c>.</param>
    /// <param name="policy">Thresholds; compared by value to keep the breaker across reloads.</param>
    /// <param name="time">Clock (a fake one in tests).</param>
    /// <param name="onTransition">Called once per transition, under the transition lock, with a reason.</param>
    public CircuitBreaker(string name, CircuitBreakerPolicy policy, TimeProvider time,
        Action<CircuitBreaker, CircuitState, CircuitState, string>? onTransition = null)
    {
        Name = name;
        Policy = policy;
        _time = time;
        _onTransition = onTransition;
        _window = new TimeBuckets(policy.Window, 3, time.TimestampFrequency);
    }

    public string Name { get; }

    public CircuitBreakerPolicy Policy { get; }

    public CircuitState State => (CircuitState)Volatile.Read(ref _state);

    /// <summary>
    /// Asks to make a call. Every admitted call must be followed by exactly one <see cref="Record"/> (with
    /// <see cref="CallOutcome.Ignored"/> when it says nothing about the node), or a half-open breaker waits forever.
    /// </summary>
    /// <param name="retryAfter">When rejected: how long until the breaker probes again.</param>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var state = (CircuitState)Volatile.Read(ref _state);
        if (state == CircuitState.Closed)
        {
            return true;
        }

        if (state == CircuitState.Open)
        {
            var elapsed = _time.GetElapsedTime(Volatile.Read(ref _openedAt));
            if (elapsed < Policy.OpenDuration)
            {
                retryAfter = Policy.OpenDuration - elapsed;
                return false;
            }

            lock (_transition)
            {
                if (State == CircuitState.Open)
                {
                    _probesAdmitted = 0;
                    _probesDone = 0;
                    _probeFailures = 0;
                    _probeSlowCalls = 0;
                    Move(CircuitState.Open, CircuitState.HalfOpen, $"open for {Policy.OpenDuration.TotalMilliseconds} ms");
                }
            }

            return TryAcquire(out retryAfter);
        }

        if (Interlocked.Increment(ref _probesAdmitted) <= Policy.HalfOpenProbes)
        {
            return true;
        }

        Interlocked.Decrement(ref _probesAdmitted);
        // Probes are in flight; they decide within about a call's duration.
        retryAfter = TimeSpan.FromSeconds(1);
        return false;
    }

    /// <summary>Records the outcome of an admitted call.</summary>
    public void Record(CallOutcome outcome)
    {
        var state = (CircuitState)Volatile.Read(ref _state);
        if (state == CircuitState.Closed)
        {
            if ((outcome & CallOutcome.Ignored) != 0)
            {
                return;
            }

            var now = _time.GetTimestamp();
            _window.Add(now, Calls);
            if (outcome == CallOutcome.Success)
            {
                return;
            }

            if ((outcome & CallOutcome.Failure) != 0)
            {
                _window.Add(now, Failures);
            }

            if ((outcome & CallOutcome.Slow) != 0)
            {
                _window.Add(now, SlowCalls);
            }

            EvaluateClosed(now);
        }
        else if (state == CircuitState.HalfOpen)
        {
            RecordProbe(outcome);
        }

        // Open: a call admitted before the breaker opened says nothing new.
    }

    private void EvaluateClosed(long now)
    {
        var calls = _window.Sum(now, Calls);
        if (calls < Policy.MinimumThroughput)
        {
            return;
        }

        var failures = _window.Sum(now, Failures);
        var slow = _window.Sum(now, SlowCalls);
        if (!Exceeds(failures, slow, calls))
        {
            return;
        }

        lock (_transition)
        {
            if (State == CircuitState.Closed)
            {
                Volatile.Write(ref _openedAt, now);
                Move(CircuitState.Closed, CircuitState.Open, Reason(failures, slow, calls));
            }
        }
    }

    private void RecordProbe(CallOutcome outcome)
    {
        if ((outcome & CallOutcome.Ignored) != 0)
        {
            // Give the permit back so another call can probe.
            Interlocked.Decrement(ref _probesAdmitted);
            return;
        }

        if ((outcome & CallOutcome.Failure) != 0)
        {
            Interlocked.Increment(ref _probeFailures);
        }

        if ((outcome & CallOutcome.Slow) != 0)
        {
            Interlocked.Increment(ref _probeSlowCalls);
        }

        if (Interlocked.Increment(ref _probesDone) < Policy.HalfOpenProbes)
        {
            return;
        }

        lock (_transition)
        {
            if (State != CircuitState.HalfOpen)
            {
                return;
            }

            var done = Volatile.Read(ref _probesDone);
            var failures = Volatile.Read(ref _probeFailures);
            var slow = Volatile.Read(ref _probeSlowCalls);
            if (Exceeds(failures, slow, done))
            {
                Volatile.Write(ref _openedAt, _time.GetTimestamp());
                Move(CircuitState.HalfOpen, CircuitState.Open, "probes: " + Reason(failures, slow, done));
            }
            else
            {
                _window.Clear();
                Move(CircuitState.HalfOpen, CircuitState.Closed, "probes: " + Reason(failures, slow, done));
            }
        }
    }

    private bool Exceeds(int failures, int slow, int calls)
        => failures >= Policy.FailureRatio * calls || slow >= Policy.SlowCallRatio * calls;

    private static string Reason(int failures, int slow, int calls) => $"{failures} failed and {slow} slow of {calls} calls";

    private void Move(CircuitState from, CircuitState to, string reason)
    {
        Volatile.Write(ref _state, (int)to);
        _onTransition?.Invoke(this, from, to, reason);
    }
}
