using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>Active health through grpc.health.v1: a node answering NOT_SERVING leaves the rotation though it accepts connections.</summary>
public class GrpcHealthTests
{
    [Fact]
    public async Task HealthPathIsTheGrpcHealthMethod_NotServingNodeIsTakenOut()
    {
        await using var serving = await StartNodeAsync("node-a", servingStatus: 1);
        await using var notServing = await StartNodeAsync("node-b", servingStatus: 2);
        var h2cPort = FreePort.Next();
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: probe
                healthCheck: { path: /grpc.health.v1.Health/Check, intervalMs: 300, timeoutMs: 250, unhealthyThreshold: 1, passive: { enabled: false } }
                nodes:
                  - { id: node-a, address: "{{serving.BaseAddress}}", protocol: http2 }
                  - { id: node-b, address: "{{notServing.BaseAddress}}", protocol: http2 }
                apis: [ { id: probe, path: "/test.Probe/*" } ]
            """, null, "--h2c-port", h2cPort.ToString());
        // Probes run while nothing is sent (real traffic to a node would stand in for its probe).
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            var health = await gw.Control.GetStringAsync("/metrics");
            return health.Contains("gatehouse_node_healthy{", StringComparison.Ordinal)
                && PrometheusText.Parse(health).Sum("gatehouse_node_healthy", ("node", "node-b")) == 0
                && PrometheusText.Parse(health).Sum("gatehouse_node_healthy", ("node", "node-a")) == 1;
        }, TimeSpan.FromSeconds(10), "node-b to be found NOT_SERVING and node-a SERVING");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{h2cPort}");
        var invoker = channel.CreateCallInvoker();
        var options = new CallOptions(new Metadata { { "serviceName", "probe" } });
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("node-a", await invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, options, "whoami"));
        }
    }

    private static Task<TestBackend> StartNodeAsync(string name, byte servingStatus) => TestBackend.StartWithPipelineAsync(
        app =>
        {
            app.MapGrpcService<HealthGrpcService>();
            app.MapGrpcService<ProbeGrpcService>();
        }, HttpProtocols.Http2, services =>
        {
            services.AddGrpc();
            services.AddSingleton(new HealthAnswer(servingStatus));
            services.AddSingleton(new ProbeState(name));
        });
}

/// <summary>The SERVING (1) or NOT_SERVING (2) status a node's health service reports.</summary>
public sealed record HealthAnswer(byte Status);

/// <summary>
/// grpc.health.v1.Health/Check with hand-written descriptors: the request is ignored and the response is the
/// protobuf <c>HealthCheckResponse { status = N }</c> as bytes (field 1, varint: 0x08 N).
/// </summary>
[BindServiceMethod(typeof(HealthGrpcService), nameof(BindService))]
public class HealthGrpcService(HealthAnswer answer)
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private static readonly Method<byte[], byte[]> CheckMethod = new(MethodType.Unary, "grpc.health.v1.Health", "Check", Bytes, Bytes);

    public static void BindService(ServiceBinderBase binder, HealthGrpcService? service) =>
        binder.AddMethod(CheckMethod, (UnaryServerMethod<byte[], byte[]>)null!);

    public virtual Task<byte[]> Check(byte[] request, ServerCallContext context) => Task.FromResult(new byte[] { 0x08, answer.Status });
}
