using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Auth;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// Cost of the login-state filter on a cached, logged-in request (the hot path): token from a header or from a
/// cookie among others, at a typical opaque-token length and at a long one (the MAC is over the whole token).
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class LoginBenchmarks
{
    private LoginFilter _filter = null!;
    private DefaultHttpContext _header = null!;
    private DefaultHttpContext _cookie = null!;

    [Params(32, 1024)]
    public int TokenLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var token = new string('t', TokenLength);
        var cache = new LoginSessionCache((_, _) => Task.FromResult(
            SessionAnswer.FromResponse(200, Encoding.UTF8.GetBytes("""{"userId":"u-1842"}"""), TimeProvider.System.GetTimestamp(), TimeProvider.System.TimestampFrequency)),
            TimeProvider.System);
        cache.Retain(TimeSpan.FromHours(1));
        _filter = new LoginFilter(
            new LoginConfig { CheckUri = "http://s/check", TokenHeader = "X-Session-Token", TokenCookie = "SESSION", CacheMs = 3_600_000 },
            cache, new byte[16], TimeProvider.System);

        _header = new DefaultHttpContext();
        _header.Request.Headers["X-Session-Token"] = token;
        _cookie = new DefaultHttpContext();
        _cookie.Request.Headers.Cookie = $"theme=dark; lang=en; SESSION={token}; _ga=GA1.2.3";

        // Warm the cache: the first request asks the (in-memory) service.
        _filter.OnRequestAsync(_header).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public bool HeaderToken() => _filter.OnRequestAsync(_header).Result;

    [Benchmark]
    public bool CookieToken() => _filter.OnRequestAsync(_cookie).Result;
}
