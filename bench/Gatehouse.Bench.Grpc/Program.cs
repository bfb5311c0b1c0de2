using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Unary gRPC calls per second, direct to a Grpc.AspNetCore node and through a gateway's h2c port, interleaved in
// one run. The node and the client run in this process; the gateway is the built gatehouse.dll in its own.
// Usage: Gatehouse.Bench.Grpc --gateway-dll FILE [--concurrency N] [--duration S] [--warmup S] [--rounds N]
var options = Args.Parse(args);
var nodePort = Ports.Free();
var h2cPort = Ports.Free();
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Services.AddGrpc();
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, nodePort, l => l.Protocols = HttpProtocols.Http2));
await using var node = builder.Build();
node.MapGrpcService<BenchService>();
await node.StartAsync();

var dir = Directory.CreateTempSubdirectory("gatehouse-bench-grpc-").FullName;
var config = Path.Combine(dir, "gatehouse.yaml");
await File.WriteAllTextAsync(config, $$"""
    services:
      - name: bench
        nodes: [ { id: bench-1, address: "http://127.0.0.1:{{nodePort}}", protocol: http2 } ]
        apis: [ { id: say, path: "/bench.Echo/*" } ]
    """);
var gateway = Process.Start(new ProcessStartInfo("dotnet")
{
    ArgumentList = { options.GatewayDll, "gateway", "--config", config, "--listen", "127.0.0.1", "--port", Ports.Free().ToString(),
        "--control-port", Ports.Free().ToString(), "--h2c-port", h2cPort.ToString() },
    RedirectStandardOutput = true,
    RedirectStandardError = true,
})!;
_ = gateway.StandardOutput.ReadToEndAsync();
_ = gateway.StandardError.ReadToEndAsync();
try
{
    var targets = new (string Name, string Address)[] { ("direct", $"http://127.0.0.1:{nodePort}"), ("gatehouse", $"http://127.0.0.1:{h2cPort}") };
    await Ports.WaitOpenAsync(h2cPort);
    Console.WriteLine($"== unary gRPC (Grpc.Net.Client, 100 B messages), concurrency {options.Concurrency}, {options.Rounds} round(s) of {options.Duration} s ==");
    foreach (var (name, address) in targets)
    {
        await Load.RunAsync(address, options.Concurrency, TimeSpan.FromSeconds(options.Warmup));
    }

    var results = targets.ToDictionary(t => t.Name, _ => new List<Load.Result>());
    for (var round = 1; round <= options.Rounds; round++)
    {
        foreach (var (name, address) in targets)
        {
            var result = await Load.RunAsync(address, options.Concurrency, TimeSpan.FromSeconds(options.Duration));
            results[name].Add(result);
            Console.WriteLine($"  round {round} {name,-10} {result.CallsPerSecond,10:F0} calls/s  p50 {result.P50Us,6:F0} us  p99 {result.P99Us,6:F0} us  errors {result.Errors}");
        }
    }

    Console.WriteLine("  target       calls/s     p50 us     p99 us   (medians over rounds)");
    foreach (var (name, list) in results)
    {
        Console.WriteLine($"  {name,-10} {Median(list, r => r.CallsPerSecond),9:F0} {Median(list, r => r.P50Us),10:F0} {Median(list, r => r.P99Us),10:F0}");
    }

    var ratios = results["gatehouse"].Zip(results["direct"], (g, d) => g.CallsPerSecond / d.CallsPerSecond).ToList();
    Console.WriteLine($"  gatehouse / direct {Median(ratios, r => r):F2}");
}
finally
{
    gateway.Kill();
    await gateway.WaitForExitAsync();
    Directory.Delete(dir, recursive: true);
}

static double Median<T>(List<T> values, Func<T, double> selector)
{
    var sorted = values.Select(selector).Order().ToArray();
    return sorted[sorted.Length / 2];
}

internal sealed record Args(string GatewayDll, int Concurrency, int Duration, int Warmup, int Rounds)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var dll = Get("--gateway-dll", "");
        if (dll.Length == 0 || !File.Exists(dll))
        {
            throw new ArgumentException("--gateway-dll FILE: the gatehouse.dll to measure (src/Gatehouse.Host/bin/Release/net10.0/gatehouse.dll)");
        }

        return new Args(dll, int.Parse(Get("--concurrency", "32")), int.Parse(Get("--duration", "10")),
            int.Parse(Get("--warmup", "3")), int.Parse(Get("--rounds", "3")));
    }
}

internal static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitOpenAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"port {port} did not open");
    }
}

internal static class Load
{
    public sealed record Result(double CallsPerSecond, double P50Us, double P99Us, long Errors);

    /// <summary>N workers making unary calls back to back over one channel (HTTP/2 connections as the handler opens them).</summary>
    public static async Task<Result> RunAsync(string address, int concurrency, TimeSpan duration)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true },
        });
        var invoker = channel.CreateCallInvoker();
        var options = new CallOptions(new Metadata { { "serviceName", "bench" } });
        var payload = new string('x', 100);
        var stop = Stopwatch.StartNew();
        long errors = 0;
        var latencies = new List<long>[concurrency];
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var mine = latencies[w] = new List<long>(100_000);
            workers[w] = Task.Run(async () =>
            {
                while (stop.Elapsed < duration)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await invoker.AsyncUnaryCall(BenchService.SayMethod, null, options, payload);
                        mine.Add(Stopwatch.GetTimestamp() - started);
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            });
        }

        await Task.WhenAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Us(double q) => all.Length == 0 ? 0 : all[(int)Math.Min(all.Length - 1, all.Length * q)] * 1e6 / Stopwatch.Frequency;
        return new Result(all.Length / elapsed, Us(0.5), Us(0.99), errors);
    }
}

/// <summary>The node's service: echoes a UTF-8 string (hand-written descriptors, no .proto).</summary>
[BindServiceMethod(typeof(BenchService), nameof(BindService))]
public class BenchService
{
    private static readonly Marshaller<string> Utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);

    public static readonly Method<string, string> SayMethod = new(MethodType.Unary, "bench.Echo", "Say", Utf8, Utf8);

    public static void BindService(ServiceBinderBase binder, BenchService? service) =>
        binder.AddMethod(SayMethod, (UnaryServerMethod<string, string>)null!);

    public virtual Task<string> Say(string request, ServerCallContext context) => Task.FromResult(request);
}
