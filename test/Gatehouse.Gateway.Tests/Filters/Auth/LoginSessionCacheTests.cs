using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

/// <summary><see cref="LoginSessionCache"/> with a fake session service (a function the test controls) and a fake clock.</summary>
public class LoginSessionCacheTests
{
    private static readonly byte[] MacKey = new byte[16];
    private readonly TestTimeProvider _time = new();
    private int _calls;

    private SessionKey Key(string token) => SessionToken.Key(MacKey, token);

    private SessionAnswer LoggedIn(string user) =>
        SessionAnswer.FromResponse(200, System.Text.Encoding.UTF8.GetBytes($$"""{"userId":"{{user}}"}"""), _time.GetTimestamp(), _time.TimestampFrequency);

    private LoginSessionCache Cache(Func<string, Task<SessionAnswer>> ask, int capacity = 100)
    {
        var cache = new LoginSessionCache((token, _) =>
        {
            Interlocked.Increment(ref _calls);
            return ask(token);
        }, _time, capacity);
        cache.Retain(TimeSpan.FromSeconds(5));
        return cache;
    }

    [Fact]
    public async Task ConcurrentChecksOfOneToken_OneCall_AllGetTheAnswer()
    {
        var gate = new TaskCompletionSource<SessionAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cache = Cache(_ => gate.Task);
        var key = Key("t1");

        var waiting = Enumerable.Range(0, 50).Select(_ => cache.CheckAsync(key, "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp())).ToArray();
        Assert.All(waiting, task => Assert.False(task.IsCompleted));
        gate.SetResult(LoggedIn("alice"));
        var answers = await Task.WhenAll(waiting);

        Assert.Equal(1, _calls);
        Assert.All(answers, answer => Assert.Equal("alice", answer.UserId));
        Assert.Same(answers[0], cache.Find(key));
    }

    [Fact]
    public async Task DifferentTokens_CheckedSeparately()
    {
        var cache = Cache(token => Task.FromResult(LoggedIn(token == "t1" ? "alice" : "bob")));

        var first = await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        var second = await cache.CheckAsync(Key("t2"), "t2", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        Assert.Equal(2, _calls);
        Assert.Equal("alice", first.UserId);
        Assert.Equal("bob", second.UserId);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task AnswerStoredAfterTheMiss_UsedWithoutAnotherCall()
    {
        var cache = Cache(_ => Task.FromResult(LoggedIn("alice")));
        var missedAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        // A request that missed at the same moment arrives after that check has finished.
        var answer = await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), missedAt);

        Assert.Equal(1, _calls);
        Assert.Equal("alice", answer.UserId);

        // One that missed later (the stored answer was stale for it) asks again.
        _time.Advance(TimeSpan.FromSeconds(1));
        await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task Unavailable_NotStored_NextCheckAsksAgain()
    {
        var cache = Cache(_ => Task.FromResult(SessionAnswer.Unavailable("down", _time.GetTimestamp())));

        var answer = await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        Assert.Equal(SessionState.Unavailable, answer.State);
        Assert.Null(cache.Find(Key("t1")));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task ServiceThrows_Unavailable_FlightEnds()
    {
        var cache = Cache(_ => throw new InvalidOperationException("boom"));

        var answer = await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        var again = await cache.CheckAsync(Key("t1"), "t1", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        Assert.Equal(SessionState.Unavailable, answer.State);
        Assert.Equal(SessionState.Unavailable, again.State);
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task Full_SweepsExpired_ThenServesWithoutStoring()
    {
        var cache = Cache(token => Task.FromResult(LoggedIn(token)), capacity: 2);
        await cache.CheckAsync(Key("a"), "a", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        await cache.CheckAsync(Key("b"), "b", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        var c = await cache.CheckAsync(Key("c"), "c", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        Assert.Equal("c", c.UserId);
        Assert.Null(cache.Find(Key("c")));
        Assert.Equal(2, cache.Count);

        // Past the retention the old answers are swept and the new one is kept.
        _time.Advance(TimeSpan.FromSeconds(6));
        await cache.CheckAsync(Key("d"), "d", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        Assert.NotNull(cache.Find(Key("d")));
        Assert.Null(cache.Find(Key("a")));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task PeriodicSweep_DropsAnswersPastTheServiceTtl()
    {
        var cache = Cache(_ => Task.FromResult(SessionAnswer.FromResponse(200, """{"userId":"u","ttlMs":100}"""u8, _time.GetTimestamp(), _time.TimestampFrequency)));
        cache.Retain(TimeSpan.FromHours(1));
        await cache.CheckAsync(Key("a"), "a", TimeSpan.FromSeconds(1), _time.GetTimestamp());
        Assert.Equal(1, cache.Count);

        _time.Advance(LoginSessionCache.SweepInterval + TimeSpan.FromSeconds(1));
        cache.Sweep(_time.GetTimestamp());

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task NoRetention_NothingStored()
    {
        var cache = new LoginSessionCache((_, _) => Task.FromResult(LoggedIn("alice")), _time);

        await cache.CheckAsync(Key("a"), "a", TimeSpan.FromSeconds(1), _time.GetTimestamp());

        Assert.Equal(0, cache.Count);
    }
}
