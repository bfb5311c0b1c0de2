using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Observability;

/// <summary>
/// A real gRPC server (Grpc.AspNetCore, h2c) behind a real gateway (TLS with ALPN h2), called by a real gRPC client
/// (Grpc.Net.Client): each call's grpc-status reaches the access log and the metrics, whether the node sent it in
/// trailers or in a trailers-only response, although every call travels as HTTP 200.
/// </summary>
public class GrpcStatusTests
{
    [Fact]
    public async Task GrpcCalls_StatusFromTrailersOrTrailersOnly_InAccessLogAndMetrics()
    {
        await using var node = await TestBackend.StartWithPipelineAsync(app => app.MapGrpcService<EchoGrpcService>(),
            HttpProtocols.Http2, services => services.AddGrpc());
        var dir = Directory.CreateTempSubdirectory("gatehouse-grpc-").FullName;
        using var pki = TestPki.Create();
        try
        {
            var (cert, key) = pki.WriteServerPem(dir, withIntermediate: true);
            var root = pki.WriteRootPem(dir);
            var tlsPort = FreePort.Next();
            var logDir = Path.Combine(dir, "logs");
            await using var gw = await GatewayTestHost.StartAsync($$"""
                services:
                  - name: grpc
                    nodes: [ { id: grpc-1, address: "{{node.BaseAddress}}", protocol: http2 } ]
                    apis: [ { id: echo, path: "/test.Echo/*" } ]
                """, null,
                "--tls-port", tlsPort.ToString(), "--tls-cert", cert, "--tls-key", key,
                "--Gatehouse:Gateway:Tls:TrustedRootsPath", root,
                "--Gatehouse:Gateway:AccessLog:Enabled", "true",
                "--Gatehouse:Gateway:AccessLog:Path", Path.Combine(logDir, "access.log"));

            using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{tlsPort}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    UseProxy = false,
                    SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
                },
            });
            var invoker = channel.CreateCallInvoker();
            var options = new CallOptions(new Metadata { { "serviceName", "grpc" } }, DateTime.UtcNow.AddSeconds(30));

            // 1: OK, status in the trailers after the message.
            Assert.Equal("echo:hi", await invoker.AsyncUnaryCall(EchoGrpcMethods.Say, null, options, "hi"));

            // 2: NOT_FOUND before any message: a trailers-only response (grpc-status in the headers).
            var notFound = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(EchoGrpcMethods.Say, null, options, "missing"));
            Assert.Equal(StatusCode.NotFound, notFound.StatusCode);

            // 3: UNAVAILABLE after one streamed message: real trailers with a failure.
            using (var call = invoker.AsyncServerStreamingCall(EchoGrpcMethods.Stream, null, options, "x"))
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal("first", call.ResponseStream.Current);
                var unavailable = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
            }

            var lines = await AccessLogTests.ReadLinesAsync(logDir, 3);
            Assert.Equal(3, lines.Count);
            Assert.All(lines, line =>
            {
                Assert.Equal(200, line.GetProperty("status").GetInt32());
                Assert.Equal(200, line.GetProperty("upstreamStatus").GetInt32());
                Assert.Equal("HTTP/2", line.GetProperty("protocol").GetString());
                Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
                Assert.Equal("grpc-1", line.GetProperty("node").GetString());
            });
            Assert.Equal([0, 5, 14], lines.Select(l => l.GetProperty("grpcStatus").GetInt32()));
            Assert.Equal("/test.Echo/Say", lines[1].GetProperty("path").GetString());

            var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
            Assert.Equal(1, metrics.Sum("gatehouse_grpc_requests_total", ("service", "grpc"), ("api", "echo"), ("grpc_code", "OK")));
            Assert.Equal(1, metrics.Sum("gatehouse_grpc_requests_total", ("api", "echo"), ("grpc_code", "NotFound")));
            Assert.Equal(1, metrics.Sum("gatehouse_grpc_requests_total", ("api", "echo"), ("grpc_code", "Unavailable")));
            Assert.Equal(3, metrics.Sum("gatehouse_requests_total", ("api", "echo"), ("code", "200")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task PlainHttpRequest_CarryingAGrpcStatusHeader_IsNoGrpcCall()
    {
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            context.Response.Headers["grpc-status"] = "13";
            return context.Response.WriteAsync("not grpc");
        });
        await using var gw = await GatewayTestHost.StartAsync($$"""
            services:
              - name: shop
                nodes: [ { id: shop-1, address: "{{backend.Address}}" } ]
                apis: [ { id: items, path: /items } ]
            """);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Add("serviceName", "shop");
        using var response = await gw.Client.SendAsync(request);
        await response.Content.ReadAsStringAsync();

        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.False(metrics.Has("gatehouse_grpc_requests_total"));
        Assert.Equal(1, metrics.Sum("gatehouse_requests_total", ("api", "items"), ("code", "200")));
    }
}

/// <summary>Hand-written gRPC method descriptors (UTF-8 strings as messages), so no .proto compilation is needed.</summary>
internal static class EchoGrpcMethods
{
    private static readonly Marshaller<string> Utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);

    public static readonly Method<string, string> Say = new(MethodType.Unary, "test.Echo", "Say", Utf8, Utf8);

    public static readonly Method<string, string> Stream = new(MethodType.ServerStreaming, "test.Echo", "Stream", Utf8, Utf8);
}

/// <summary>
/// The service's base as codegen would write it: Grpc.AspNetCore binds through <see cref="BindServiceMethodAttribute"/>
/// and takes the overrides of its virtual methods, found by name.
/// </summary>
[BindServiceMethod(typeof(EchoGrpcServiceBase), nameof(BindService))]
public abstract class EchoGrpcServiceBase
{
    public static void BindService(ServiceBinderBase binder, EchoGrpcServiceBase? service)
    {
        // Grpc.AspNetCore passes no instance: it reads the descriptors and finds the overrides by name.
        binder.AddMethod(EchoGrpcMethods.Say, (UnaryServerMethod<string, string>)null!);
        binder.AddMethod(EchoGrpcMethods.Stream, (ServerStreamingServerMethod<string, string>)null!);
    }

    public virtual Task<string> Say(string request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));

    public virtual Task Stream(string request, IServerStreamWriter<string> writer, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));
}

/// <summary>The node's service.</summary>
public sealed class EchoGrpcService : EchoGrpcServiceBase
{
    /// <summary>Echoes; "missing" fails with NOT_FOUND before any message (a trailers-only response).</summary>
    public override Task<string> Say(string request, ServerCallContext context) => request == "missing"
        ? throw new RpcException(new Status(StatusCode.NotFound, "no such thing"))
        : Task.FromResult("echo:" + request);

    /// <summary>One message, then UNAVAILABLE in the trailers.</summary>
    public override async Task Stream(string request, IServerStreamWriter<string> writer, ServerCallContext context)
    {
        await writer.WriteAsync("first");
        throw new RpcException(new Status(StatusCode.Unavailable, "gone midway"));
    }
}
