using System.Net;
using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// Cost of the rate-limit filter on an admitted request (the hot path): one level with a shared counter, and
/// three levels (global, service, API) keyed by client IP and header as a heavily limited API would have.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class RateLimitBenchmarks
{
    private RateLimitFilter _single = null!;
    private RateLimitFilter _threeLevels = null!;
    private DefaultHttpContext _context = null!;

    [Params(RateLimitAlgorithm.TokenBucket, RateLimitAlgorithm.SlidingWindow)]
    public RateLimitAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Limits far above what the benchmark offers, so every request is admitted (the common case).
        KeyedRateLimiter Limiter(RateLimitKeyConfig? key) =>
            new(new RateLimitConfig { Algorithm = Algorithm, Limit = 1_000_000, WindowMs = 1, Key = key }, TimeProvider.System);

        _single = new RateLimitFilter([Limiter(null)]);
        _threeLevels = new RateLimitFilter(
        [
            Limiter(null),
            Limiter(new RateLimitKeyConfig { Source = RateLimitKeySource.ClientIp }),
            Limiter(new RateLimitKeyConfig { Source = RateLimitKeySource.Header, Name = "X-User" }),
        ]);
        _context = new DefaultHttpContext();
        _context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        _context.Request.Headers["X-User"] = "user-42";
    }

    [Benchmark(Baseline = true)]
    public bool OneLevel() => _single.OnRequestAsync(_context).Result;

    [Benchmark]
    public bool ThreeLevelsKeyed() => _threeLevels.OnRequestAsync(_context).Result;
}
