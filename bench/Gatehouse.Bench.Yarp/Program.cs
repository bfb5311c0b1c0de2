using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

// Gatehouse.Bench.Yarp PORT BACKEND_PORT_1 BACKEND_PORT_2
// The YARP peer of the load harness: an out-of-the-box YARP reverse proxy with one catch-all route and
// round robin over the two backend ports, configured as its documentation shows (in-memory config,
// default forwarder settings). Nothing is tuned that the gateway's own harness run does not tune.
if (args.Length != 3 || !int.TryParse(args[0], out var port)
    || !int.TryParse(args[1], out var backend1) || !int.TryParse(args[2], out var backend2))
{
    Console.Error.WriteLine("usage: Gatehouse.Bench.Yarp PORT BACKEND_PORT_1 BACKEND_PORT_2");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });

// Warnings and errors only: the gateway runs with its default (Information) level, but logs no line
// per request at that level; YARP logs one per request at Information, which would be measured.
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    // The streaming scenario uploads 1 GiB; Kestrel's default cap is 30 MB.
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1);
});

var routes = new[]
{
    new RouteConfig { RouteId = "all", ClusterId = "bench", Match = new RouteMatch { Path = "{**catch-all}" } },
};
var clusters = new[]
{
    new ClusterConfig
    {
        ClusterId = "bench",
        LoadBalancingPolicy = "RoundRobin",
        Destinations = new Dictionary<string, DestinationConfig>
        {
            ["b1"] = new() { Address = $"http://127.0.0.1:{backend1}/" },
            ["b2"] = new() { Address = $"http://127.0.0.1:{backend2}/" },
        },
    },
};
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
return 0;
