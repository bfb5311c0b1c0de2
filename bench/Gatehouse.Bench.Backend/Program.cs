using System.Net;
using Gatehouse.Bench.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

// Gatehouse.Bench.Backend PORT1 PORT2
// Two loopback listeners in one process, so nginx and the gateway both balance over two upstreams
// while the backend's own cost stays the same for every target.
if (args.Length != 2 || !int.TryParse(args[0], out var port1) || !int.TryParse(args[1], out var port2))
{
    Console.Error.WriteLine("usage: Gatehouse.Bench.Backend PORT1 PORT2");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });

// No logging at all: a log line per request would be measured as backend cost in every scenario.
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;

    // The streaming scenario uploads 1 GiB; Kestrel's default cap is 30 MB.
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(IPAddress.Loopback, port1, o => o.Protocols = HttpProtocols.Http1);
    kestrel.Listen(IPAddress.Loopback, port2, o => o.Protocols = HttpProtocols.Http1);
});

var app = builder.Build();
app.Run(BenchEndpoints.HandleAsync);
await app.RunAsync();
return 0;
