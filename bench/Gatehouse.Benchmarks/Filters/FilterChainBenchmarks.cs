using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// One run of an API's <see cref="FilterChain"/> for an admitted request, the gateway's own mechanisms and a plugin on
/// the one contract: the request phase of every filter, then a completed <c>next</c> (where the gateway picks a node and
/// forwards), then the header phase as the response starts. The filters are in the order the compiler puts them
/// (<see cref="BuiltInFilterFactories"/>): IP lists first, plugins of the default stage before access control, rate
/// limits last.
/// </summary>
/// <remarks>
/// <para><see cref="NoFilters"/> is an API without filters: the request handler calls <c>next</c> directly.
/// <see cref="RateLimitFilterAlone"/> is the rate-limit filter called without the chain, so the difference to
/// <see cref="RateLimitOnly"/> is what the chain itself costs.</para>
/// <para>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</para>
/// </remarks>
[MemoryDiagnoser]
public class FilterChainBenchmarks
{
    /// <summary>The caller's delegate, cached, with a struct state: what the request handler passes.</summary>
    private static readonly Func<HttpContext, int, Task> Next = static (_, _) => Task.CompletedTask;

    private FilterChain _rateLimit = null!;
    private FilterChain _ipAccessRateLimit = null!;
    private FilterChain _corsRateLimit = null!;
    private RateLimitFilter _rateLimitFilter = null!;
    private DefaultHttpContext _http = null!;
    private StartingResponseFeature _response = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A limit far above what the benchmark offers, keyed by client address: every request is admitted.
        var limiter = new KeyedRateLimiter(new RateLimitConfig
        {
            Algorithm = RateLimitAlgorithm.TokenBucket,
            Limit = 1_000_000,
            WindowMs = 1,
            Key = new RateLimitKeyConfig { Source = RateLimitKeySource.ClientIp },
        }, TimeProvider.System);
        _rateLimitFilter = new RateLimitFilter([limiter]);
        var rateLimit = new CompiledPlugin(GatewayFilterNames.RateLimit, _rateLimitFilter);

        // An API-level allow list of private ranges with one subnet denied, as an internal API would have.
        var ipAccess = new CompiledPlugin(GatewayFilterNames.IpAccess, new IpAccessFilter(
        [
            IpAccessFilter.Compile("api", new IpAccessConfig { Allow = ["10.0.0.0/8", "192.168.0.0/16"], Deny = ["10.9.0.0/16"] }),
        ]));

        if (!PluginCatalog.NewBuiltIn().TryGet("cors", out var corsFactory))
        {
            throw new InvalidOperationException("no built-in 'cors'");
        }

        var corsSettings = JsonDocument.Parse("""{"origins":["https://app.example.com"],"credentials":true,"maxAgeSeconds":600}""");
        var cors = new CompiledPlugin("cors", corsFactory.Create(corsSettings.RootElement));

        _rateLimit = Chain(rateLimit);
        _ipAccessRateLimit = Chain(ipAccess, rateLimit);
        _corsRateLimit = Chain(cors, rateLimit);

        _http = new DefaultHttpContext();
        _response = new StartingResponseFeature();
        _http.Features.Set<IHttpResponseFeature>(_response);
        _http.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        _http.Request.Method = "GET";
        _http.Request.Host = new HostString("api.example.com");
        _http.Request.Path = "/catalog/42";
        _http.Request.Headers.Origin = "https://app.example.com";

        CorsAndRateLimit().GetAwaiter().GetResult();
        if (_http.Response.StatusCode != 200 || !_http.Response.Headers.ContainsKey("Access-Control-Allow-Origin"))
        {
            throw new InvalidOperationException("the cors chain did not pass the request on with its response headers");
        }
    }

    /// <summary>An API without filters: no chain, the handler forwards directly.</summary>
    [Benchmark(Baseline = true)]
    public Task NoFilters()
    {
        _http.Response.Headers.Clear();
        var forwarded = Next(_http, 0);
        _response.Start();
        return forwarded;
    }

    /// <summary>The rate-limit filter's request phase called directly, without the chain around it.</summary>
    [Benchmark]
    public Task RateLimitFilterAlone()
    {
        _http.Response.Headers.Clear();
        var admitted = _rateLimitFilter.OnRequestAsync(_http).Result;
        var forwarded = admitted ? Next(_http, 0) : Task.CompletedTask;
        _response.Start();
        return forwarded;
    }

    [Benchmark]
    public Task RateLimitOnly() => Run(_rateLimit);

    [Benchmark]
    public Task IpAccessAndRateLimit() => Run(_ipAccessRateLimit);

    /// <summary>A simple cross-origin request: <c>cors</c> checks the origin, and adds its headers as the response starts.</summary>
    [Benchmark]
    public Task CorsAndRateLimit() => Run(_corsRateLimit);

    private Task Run(FilterChain chain)
    {
        // Each request starts with an empty response, as a real one does (cors appends Vary: Origin).
        _http.Response.Headers.Clear();
        var forwarded = chain.RunAsync(_http, 0, Next);
        _response.Start();
        return forwarded;
    }

    private static FilterChain Chain(params CompiledPlugin[] plugins) => new(plugins, "catalog", "get", NullLogger.Instance);

    /// <summary>
    /// The response feature of a test exchange that keeps the one <c>OnStarting</c> callback the chain registers and runs
    /// it when the benchmark starts the response, as a server does before sending the headers (the default feature
    /// drops it).
    /// </summary>
    private sealed class StartingResponseFeature : HttpResponseFeature
    {
        private Func<object, Task>? _callback;
        private object? _state;

        public override void OnStarting(Func<object, Task> callback, object state)
        {
            if (_callback is not null)
            {
                throw new InvalidOperationException("one OnStarting callback per request expected");
            }

            _callback = callback;
            _state = state;
        }

        public void Start()
        {
            if (_callback is { } callback)
            {
                _callback = null;
                callback(_state!).GetAwaiter().GetResult();
                _state = null;
            }
        }
    }
}
