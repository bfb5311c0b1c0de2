using System.Net;
using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resilience;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Resilience;

/// <summary>
/// Per-request cost of what resilience adds to the hot path of a successful request: the breaker's admission
/// and outcome (with the clock reads and the outcome classification the handler does), the retry budget's
/// request count, and all of it together with a one-level rate limit, as an API with every feature on pays.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class ResilienceBenchmarks
{
    private readonly TimeProvider _time = TimeProvider.System;
    private ApiResilience _apiScope = null!;
    private ApiResilience _nodeScope = null!;
    private NodeModel _node = null!;
    private RateLimitFilter _limiter = null!;
    private DefaultHttpContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        var registry = new ResilienceRegistry(_time);
        var nodes = new NodeModel[8];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new NodeModel("s", $"n{i}", new Uri($"http://10.0.0.{i + 1}:8080"), 100, null, true, [],
                UpstreamProtocol.Http1, new NodeState());
        }

        _node = nodes[5];
        // A minimum throughput above what the run offers keeps the breaker closed (the common case) while every
        // success is still counted.
        var breaker = new CircuitBreakerConfig { MinimumThroughput = 1_000_000 };
        _apiScope = registry.Compile("s", "api", PolicyMerger.Merge(new PolicyConfig { CircuitBreaker = breaker }, null, null), nodes);
        _nodeScope = registry.Compile("s", "node-api", PolicyMerger.Merge(
            new PolicyConfig { CircuitBreaker = breaker with { Scope = CircuitBreakerScope.ApiNode } }, null, null), nodes);
        _limiter = new RateLimitFilter([new KeyedRateLimiter(new RateLimitConfig { Limit = 1_000_000, WindowMs = 1 }, _time)]);
        _context = new DefaultHttpContext();
        _context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        _context.Response.StatusCode = 200;
    }

    /// <summary>What the handler does around one attempt when a breaker applies.</summary>
    private bool Attempt(ApiResilience resilience)
    {
        var breaker = resilience.BreakerFor(_node)!;
        if (!breaker.TryAcquire(out _))
        {
            return false;
        }

        var started = _time.GetTimestamp();
        var result = new ForwardResult(ForwarderError.None, null, false);
        breaker.Record(GatewayRequestHandler.Outcome(_context, result, breaker.Policy, _time.GetElapsedTime(started)));
        return true;
    }

    [Benchmark(Baseline = true)]
    public bool BreakerApiScope() => Attempt(_apiScope);

    [Benchmark]
    public bool BreakerApiNodeScope() => Attempt(_nodeScope);

    [Benchmark]
    public void RetryBudgetRequest() => _apiScope.Budget!.RecordRequest();

    [Benchmark]
    public bool LimiterBudgetAndBreaker()
    {
        if (!_limiter.OnRequestAsync(_context).Result)
        {
            return false;
        }

        _apiScope.Budget!.RecordRequest();
        return Attempt(_apiScope);
    }
}
