using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

/// <summary>
/// <see cref="LoginFilter"/> on in-memory requests with a fake clock and a fake session service: cache ages, the
/// service's ttl, refusals. The same paths run against real servers in the functional LoginTests.
/// </summary>
public class LoginFilterTests
{
    private static readonly byte[] MacKey = new byte[16];
    private readonly TestTimeProvider _time = new();
    private readonly Dictionary<string, string> _answers = new() { ["good"] = """{"userId":"alice"}""", ["short"] = """{"userId":"bob","ttlMs":500}""" };
    private int _calls;

    private LoginFilter Filter(int cacheMs = 5000, int negativeCacheMs = 1000)
    {
        var cache = new LoginSessionCache((token, _) =>
        {
            Interlocked.Increment(ref _calls);
            var answer = _answers.TryGetValue(token, out var body)
                ? SessionAnswer.FromResponse(200, Encoding.UTF8.GetBytes(body), _time.GetTimestamp(), _time.TimestampFrequency)
                : SessionAnswer.LoggedOut(_time.GetTimestamp());
            return Task.FromResult(answer);
        }, _time);
        cache.Retain(TimeSpan.FromMilliseconds(Math.Max(cacheMs, negativeCacheMs)));
        var config = new LoginConfig { CheckUri = "http://s/check", TokenHeader = "X-Session-Token", CacheMs = cacheMs, NegativeCacheMs = negativeCacheMs };
        return new LoginFilter(config, cache, MacKey, _time);
    }

    private static DefaultHttpContext Request(string? token, string? spoofedUser = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api";
        if (token is not null)
        {
            context.Request.Headers["X-Session-Token"] = token;
        }

        if (spoofedUser is not null)
        {
            context.Request.Headers[LoginDefaults.UserIdHeader] = spoofedUser;
        }

        return context;
    }

    private static async Task<(bool Passed, DefaultHttpContext Context)> RunAsync(LoginFilter filter, string? token, string? spoofedUser = null)
    {
        var context = Request(token, spoofedUser);
        return (await filter.OnRequestAsync(context), context);
    }

    [Fact]
    public async Task LoggedIn_UserIdSet_CachedForCacheMs_ThenAskedAgain()
    {
        var filter = Filter(cacheMs: 5000);

        var (passed, context) = await RunAsync(filter, "good", spoofedUser: "root");
        Assert.True(passed);
        Assert.Equal("alice", context.Request.Headers[LoginDefaults.UserIdHeader].ToString());

        _time.Advance(TimeSpan.FromMilliseconds(4900));
        Assert.True((await RunAsync(filter, "good")).Passed);
        Assert.Equal(1, _calls);

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True((await RunAsync(filter, "good")).Passed);
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task ServiceTtlShorterThanCacheMs_Wins()
    {
        var filter = Filter(cacheMs: 5000);
        await RunAsync(filter, "short");

        _time.Advance(TimeSpan.FromMilliseconds(400));
        await RunAsync(filter, "short");
        Assert.Equal(1, _calls);

        _time.Advance(TimeSpan.FromMilliseconds(200));
        await RunAsync(filter, "short");
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task CacheMsZero_AsksEveryTime()
    {
        var filter = Filter(cacheMs: 0);

        await RunAsync(filter, "good");
        await RunAsync(filter, "good");

        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task LoggedOut_401_RememberedForNegativeCacheMs()
    {
        var filter = Filter(negativeCacheMs: 1000);

        var (passed, context) = await RunAsync(filter, "unknown", spoofedUser: "root");
        Assert.False(passed);
        Assert.Equal(401, context.Response.StatusCode);
        Assert.False(context.Request.Headers.ContainsKey(LoginDefaults.UserIdHeader));
        Assert.Equal("Session realm=\"gatehouse\"", context.Response.Headers.WWWAuthenticate.ToString());

        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.False((await RunAsync(filter, "unknown")).Passed);
        Assert.Equal(1, _calls);

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False((await RunAsync(filter, "unknown")).Passed);
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task NoToken_401_ServiceNotAsked_SpoofedHeaderRemoved()
    {
        var (passed, context) = await RunAsync(Filter(), null, spoofedUser: "root");

        Assert.False(passed);
        Assert.Equal(401, context.Response.StatusCode);
        Assert.False(context.Request.Headers.ContainsKey(LoginDefaults.UserIdHeader));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task CachedHit_DoesNotAllocate()
    {
        var filter = Filter(cacheMs: 60_000);
        var context = Request("good");
        Assert.True(await filter.OnRequestAsync(context));
        var passed = true;

        void Hit()
        {
            // A caller's copy is removed and the cached id set again, as on every request.
            context.Request.Headers[LoginDefaults.UserIdHeader] = "root";
            var result = filter.OnRequestAsync(context);
            passed &= result.IsCompletedSuccessfully && result.Result;
        }

        Hit();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Hit();
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(passed);
        Assert.Equal("alice", context.Request.Headers[LoginDefaults.UserIdHeader].ToString());
        Assert.Equal(1, _calls);
        Assert.Equal(0, bytes);
    }
}
