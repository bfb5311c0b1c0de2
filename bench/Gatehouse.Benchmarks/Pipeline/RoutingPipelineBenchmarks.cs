using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resolution;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Benchmarks.Pipeline;

/// <summary>
/// Everything the gateway decides per request before forwarding: service resolution, API matching, routed
/// node set lookup and one balancer pick, on a compiled snapshot. Forwarding itself is measured by the load
/// harness (bench/run.sh), not here.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class RoutingPipelineBenchmarks
{
    private ConfigSnapshot _snapshot = null!;
    private GatewayRequestHandler _handler = null!;
    private DefaultHttpContext _byHeader = null!;
    private DefaultHttpContext _byPathPrefix = null!;
    private DefaultHttpContext _gray = null!;

    [Params(LoadBalancerKind.RoundRobin, LoadBalancerKind.ConsistentHash, LoadBalancerKind.LeastInFlight)]
    public LoadBalancerKind Balancer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var apis = new List<ApiConfig>();
        for (var i = 0; i < 100; i++)
        {
            apis.Add(new ApiConfig { Id = $"get{i}", Methods = ["GET"], Path = $"/orders{i}/{{id}}" });
        }

        apis.Add(new ApiConfig { Id = "rest", Path = "/**" });
        var config = new GatewayConfig
        {
            Services =
            [
                new ServiceConfig
                {
                    Name = "orders",
                    Policy = new PolicyConfig
                    {
                        LoadBalancer = Balancer == LoadBalancerKind.ConsistentHash
                            ? new LoadBalancerConfig { Kind = Balancer, HashKey = new HashKeyConfig { Source = HashKeySource.Header, Name = "X-User" } }
                            : new LoadBalancerConfig { Kind = Balancer },
                    },
                    Nodes =
                    [
                        new NodeConfig { Id = "a", Address = "http://127.0.0.1:5001", Loc = "dc1" },
                        new NodeConfig { Id = "b", Address = "http://127.0.0.1:5002", Loc = "dc1", Weight = 50 },
                        new NodeConfig { Id = "c", Address = "http://127.0.0.1:5003", Loc = "dc2" },
                        new NodeConfig { Id = "g", Address = "http://127.0.0.1:5004", Gray = ["v2"] },
                    ],
                    Apis = apis,
                },
            ],
            OriginMappings = [new OriginMappingConfig { PathPrefix = "/orders-svc", Service = "orders", StripPrefix = true }],
        };

        var compiler = new SnapshotCompiler("default", "dc1", RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            new UpstreamClientFactory(), new NodeStateRegistry(), TimeProvider.System);
        _snapshot = compiler.Compile(config, "bench", 1, ConfigChecksum.Compute(config));
        var state = new SnapshotState();
        state.Publish(_snapshot);
        _handler = new GatewayRequestHandler(state, ServiceResolverChain.CreateDefault(new GatewayHeaderNames()),
            new HttpForwarder(NullLogger<HttpForwarder>.Instance), Options.Create(new GatewayOptions()),
            NullLogger<GatewayRequestHandler>.Instance);

        _byHeader = Request("/orders42/7", ("serviceName", "orders"), ("X-User", "u-1234"));
        _byPathPrefix = Request("/orders-svc/orders42/7", ("X-User", "u-1234"));
        _gray = Request("/orders42/7", ("serviceName", "orders"), ("gray", "v2"), ("X-User", "u-1234"));
    }

    [Benchmark(Baseline = true)]
    public NodeModel? ByHeader() => Decide(_byHeader);

    [Benchmark]
    public NodeModel? ByPathPrefixWithStrip() => Decide(_byPathPrefix);

    [Benchmark]
    public NodeModel? GrayRequest() => Decide(_gray);

    private NodeModel? Decide(HttpContext context) => _handler.Decide(context, _snapshot).Nodes!.Balancer!.Pick(context, null);

    private static DefaultHttpContext Request(string path, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context;
    }
}
