using BenchmarkDotNet.Attributes;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Pipeline;

/// <summary>
/// The request guard's header count and size check on a typical proxied request (ten headers), against the
/// interface walk it replaced. The headers are ASP.NET Core's <see cref="HeaderDictionary"/>, not Kestrel's
/// (internal) collection; both box their enumerator behind the interface. Kestrel's own case is measured for
/// allocations by GuardAllocationTests in the functional tests.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class RequestGuardBenchmarks
{
    private readonly GatewayLimits _limits = new();
    private IHeaderDictionary _headers = null!;

    [GlobalSetup]
    public void Setup()
    {
        _headers = new HeaderDictionary
        {
            ["Host"] = "gw.example:8080",
            ["serviceName"] = "orders",
            ["Accept"] = "application/json",
            ["Accept-Encoding"] = "gzip, br",
            ["User-Agent"] = "orders-client/1.4",
            ["X-Request-Id"] = "0HN8F3K2J1QAB:00000001",
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["X-User"] = "u-1234",
            ["Authorization"] = "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            ["Cookie"] = "session=abc; theme=dark",
        };
    }

    [Benchmark(Baseline = true)]
    public bool InterfaceWalk()
    {
        if (_headers.Count > _limits.MaxRequestHeaderCount)
        {
            return false;
        }

        var total = 0;
        foreach (var header in _headers)
        {
            total += header.Key.Length;
            foreach (var value in header.Value)
            {
                total += value?.Length ?? 0;
            }
        }

        return total <= _limits.MaxRequestHeadersTotalSize;
    }

    [Benchmark]
    public bool GuardCheck() => RequestGuard.HeadersWithinLimits(_headers, _limits);
}
