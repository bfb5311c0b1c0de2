using System.Collections.Concurrent;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// The answers of one session service, by keyed hash of the token, kept across config reloads. A hit is one lock-free
/// dictionary read of an immutable <see cref="SessionAnswer"/>; a miss starts one check per token however many
/// requests carry it at once (single flight), and stores the answer for the next ones.
/// </summary>
/// <remarks>
/// <para>Freshness is decided by the reader, not here: each API's filter has its own <c>cacheMs</c> and
/// <c>negativeCacheMs</c> and compares them with <see cref="SessionAnswer.FetchedAt"/> (and the service's own
/// expiry). The cache only keeps an answer as long as the longest of those (<see cref="Retain"/>).</para>
/// <para>Bounded: at <see cref="Capacity"/> entries a sweep drops expired ones; if it is still full the new answer
/// is served but not stored. Expired entries are also swept every <see cref="SweepInterval"/> by the request that
/// stores an answer (already off the fast path: it has just waited for the service), so no timer is needed.</para>
/// <para>Unavailable answers (service down, timeout, bad answer) are never stored: the next request asks again.</para>
/// </remarks>
internal sealed class LoginSessionCache
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly Func<string, TimeSpan, Task<SessionAnswer>> _ask;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<SessionKey, SessionAnswer> _answers = new();
    private readonly ConcurrentDictionary<SessionKey, Task<SessionAnswer>> _inflight = new();
    private readonly long _sweepTicks;
    private long _retainTicks;
    private long _lastSweep;
    private int _count;
    private int _sweeping;

    public LoginSessionCache(Func<string, TimeSpan, Task<SessionAnswer>> ask, TimeProvider time, int capacity = 100_000)
    {
        _ask = ask;
        _time = time;
        Capacity = capacity;
        _sweepTicks = (long)(SweepInterval.TotalSeconds * time.TimestampFrequency);
        _lastSweep = time.GetTimestamp();
    }

    /// <summary>Most answers kept at once.</summary>
    public int Capacity { get; }

    /// <summary>Answers currently kept (expired ones included until a sweep).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Keeps answers for at least <paramref name="age"/> (the largest cacheMs of the APIs that use the service).</summary>
    public void Retain(TimeSpan age)
    {
        var ticks = (long)(age.TotalSeconds * _time.TimestampFrequency);
        var current = Volatile.Read(ref _retainTicks);
        while (ticks > current)
        {
            var seen = Interlocked.CompareExchange(ref _retainTicks, ticks, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }
    }

    /// <summary>The stored answer for the token, fresh or not; the caller judges its age.</summary>
    public SessionAnswer? Find(in SessionKey key) => _answers.TryGetValue(key, out var answer) ? answer : null;

    /// <summary>
    /// Asks the service about <paramref name="token"/>, joining a check already running for the same token.
    /// <paramref name="missedAt"/> is when the caller found no fresh answer: one stored since then is used as is.
    /// </summary>
    public Task<SessionAnswer> CheckAsync(SessionKey key, string token, TimeSpan timeout, long missedAt)
    {
        while (true)
        {
            if (_inflight.TryGetValue(key, out var running))
            {
                return running;
            }

            var completion = new TaskCompletionSource<SessionAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inflight.TryAdd(key, completion.Task))
            {
                continue;
            }

            // A check that finished between the caller's miss and our claim has stored its answer: no second call.
            if (_answers.TryGetValue(key, out var stored) && stored.FetchedAt > missedAt)
            {
                _inflight.TryRemove(new KeyValuePair<SessionKey, Task<SessionAnswer>>(key, completion.Task));
                completion.SetResult(stored);
                return completion.Task;
            }

            _ = RunAsync(key, token, timeout, completion);
            return completion.Task;
        }
    }

    private async Task RunAsync(SessionKey key, string token, TimeSpan timeout, TaskCompletionSource<SessionAnswer> completion)
    {
        SessionAnswer answer;
        try
        {
            answer = await _ask(token, timeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            answer = SessionAnswer.Unavailable(ex.GetType().Name, _time.GetTimestamp());
        }

        if (answer.State != SessionState.Unavailable)
        {
            Store(key, answer);
        }

        // Stored first, then the flight ends: a request arriving in between finds one or the other.
        _inflight.TryRemove(new KeyValuePair<SessionKey, Task<SessionAnswer>>(key, completion.Task));
        completion.SetResult(answer);
    }

    private void Store(SessionKey key, SessionAnswer answer)
    {
        var now = _time.GetTimestamp();
        if (Volatile.Read(ref _retainTicks) == 0)
        {
            return;
        }

        if (now - Interlocked.Read(ref _lastSweep) >= _sweepTicks || Count >= Capacity)
        {
            Sweep(now);
        }

        while (true)
        {
            if (_answers.TryGetValue(key, out var old))
            {
                if (_answers.TryUpdate(key, answer, old))
                {
                    return;
                }
            }
            else if (Count >= Capacity)
            {
                return;
            }
            else if (_answers.TryAdd(key, answer))
            {
                Interlocked.Increment(ref _count);
                return;
            }
        }
    }

    /// <summary>Drops answers older than the retention or past the service's expiry. One sweep at a time.</summary>
    internal void Sweep(long now)
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            Interlocked.Exchange(ref _lastSweep, now);
            var retain = Volatile.Read(ref _retainTicks);
            foreach (var entry in _answers)
            {
                var answer = entry.Value;
                if ((now - answer.FetchedAt >= retain || now >= answer.ExpiresAt) && _answers.TryRemove(entry))
                {
                    Interlocked.Decrement(ref _count);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
