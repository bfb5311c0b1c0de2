using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>
/// One gateway with an h2c port and a TLS port in front of two real gRPC nodes (Grpc.AspNetCore, h2c), a
/// @grpc/grpc-js node (a process), a node that never answers in time, and services for the gateway's own errors;
/// shared by the tests of a class.
/// </summary>
public class GrpcGatewayFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-grpc-").FullName;
    private readonly TestPki _pki = TestPki.Create();
    private TestBackend? _nodeA;
    private TestBackend? _nodeB;
    private TestBackend? _slow;
    private Process? _jsNode;
    private GatewayTestHost? _gateway;

    public ProbeState StateA { get; } = new("node-a");

    public ProbeState StateB { get; } = new("node-b");

    internal GatewayTestHost Gateway => _gateway!;

    public int H2cPort { get; } = FreePort.Next();

    public int TlsPort { get; } = FreePort.Next();

    /// <summary>The PEM root the TLS port's certificate chains to.</summary>
    public string TlsRoot { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _nodeA = await StartNodeAsync(StateA);
        _nodeB = await StartNodeAsync(StateB);

        // Answers nothing for 10 s and knows nothing of grpc-timeout: only the gateway can end such a call early.
        _slow = await TestBackend.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(10_000, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "0";
        }, HttpProtocols.Http2);

        var jsPort = await StartJsNodeAsync();
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        TlsRoot = _pki.WriteRootPem(_dir);
        var probeNodes = $$"""[ { id: node-a, address: "{{_nodeA.BaseAddress}}", protocol: http2 }, { id: node-b, address: "{{_nodeB.BaseAddress}}", protocol: http2 } ]""";
        var slowNodes = $$"""[ { id: slow-1, address: "{{_slow.BaseAddress}}", protocol: http2 } ]""";
        var limited = string.Concat(new[] { GrpcClients.Dotnet, GrpcClients.Node, GrpcClients.Python }.Select(name => $$"""
              - name: limited-{{name}}
                healthCheck: { passive: { enabled: false } }
                nodes: {{probeNodes}}
                apis: [ { id: limited-{{name}}, path: "/test.Probe/*", policy: { rateLimit: { limit: 1, windowMs: 60000 } } } ]

            """));
        _gateway = await GatewayTestHost.StartAsync($$"""
            services:
              - name: probe
                healthCheck: { passive: { enabled: false } }
                nodes: {{probeNodes}}
                apis: [ { id: probe, path: "/test.Probe/*" } ]
              - name: slow
                healthCheck: { passive: { enabled: false } }
                nodes: {{slowNodes}}
                apis: [ { id: slow, path: "/test.Probe/*" } ]
              - name: bounded
                healthCheck: { passive: { enabled: false } }
                nodes: {{slowNodes}}
                apis: [ { id: bounded, path: "/test.Probe/*", policy: { timeouts: { requestMs: 300 } } } ]
              - name: jsnode
                healthCheck: { passive: { enabled: false } }
                nodes: [ { id: js-1, address: "http://127.0.0.1:{{jsPort}}", protocol: http2 } ]
                apis: [ { id: jsnode, path: "/test.Probe/*" } ]
              - name: offline
                nodes: [ { id: off-1, online: false, address: "{{_nodeA.BaseAddress}}", protocol: http2 } ]
                apis: [ { id: offline, path: "/test.Probe/*" } ]
            {{limited}}
            """, null,
            "--h2c-port", H2cPort.ToString(),
            "--tls-port", TlsPort.ToString(), "--tls-cert", cert, "--tls-key", key,
            "--Gatehouse:Gateway:Tls:TrustedRootsPath", TlsRoot,
            "--Gatehouse:Gateway:Engine", Engine);
    }

    /// <summary>The engine under the gateway's plaintext port (gRPC-Web over HTTP/1.1 arrives there).</summary>
    protected virtual string Engine => Gatehouse.Gateway.Engine.GatewayEngines.Platform;

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var backend in new[] { _nodeA, _nodeB, _slow })
        {
            if (backend is not null)
            {
                await backend.DisposeAsync();
            }
        }

        if (_jsNode is not null)
        {
            // By its process id: the one this fixture started.
            _jsNode.Kill();
            await _jsNode.WaitForExitAsync();
            _jsNode.Dispose();
        }

        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Starts test/tools/node/grpc-server.js and returns the port it printed once bound.</summary>
    private async Task<int> StartJsNodeAsync()
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(GrpcClients.ToolsDir, "node", "grpc-server.js"));
        _jsNode = Process.Start(start)!;
        var line = await _jsNode.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("the grpc-js server exited before binding");
        return JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32();
    }

    private static Task<TestBackend> StartNodeAsync(ProbeState state) => TestBackend.StartWithPipelineAsync(
        app => app.MapGrpcService<ProbeGrpcService>(), HttpProtocols.Http2, services =>
        {
            // 4 MiB messages and more: gRPC's default limit is 4 MB, framing included.
            services.AddGrpc(o =>
            {
                o.MaxReceiveMessageSize = 16 * 1024 * 1024;
                o.MaxSendMessageSize = null;
            });
            services.AddSingleton(state);
        });
}

/// <summary>The same gateway and nodes with the loop engine under the plaintext port: node connections on the loops.</summary>
public sealed class GrpcGatewayLoopFixture : GrpcGatewayFixture
{
    protected override string Engine => Gatehouse.Gateway.Engine.GatewayEngines.Loop;
}
