using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>
/// A real gateway in front of two real Grpc.AspNetCore nodes (h2c) serving the test proto's Library service, with the
/// descriptor set protoc wrote at build time (transcode_test.pb): one API by its google.api.http annotations (by file),
/// one by an explicit rule (by base64, as the admin stores it), one behind a rate limit.
/// </summary>
public class TranscodingFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-transcode-").FullName;
    private TestBackend? _nodeA;
    private TestBackend? _nodeB;
    private GatewayTestHost? _gateway;

    internal GatewayTestHost Gateway => _gateway!;

    public string LogDir => Path.Combine(_dir, "logs");

    public static string DescriptorSetPath => Path.Combine(AppContext.BaseDirectory, "transcode_test.pb");

    public async Task InitializeAsync()
    {
        _nodeA = await StartNodeAsync();
        _nodeB = await StartNodeAsync();
        var base64 = Convert.ToBase64String(await File.ReadAllBytesAsync(DescriptorSetPath));
        _gateway = await GatewayTestHost.StartAsync($$"""
            originMappings:
              - { pathPrefix: /v1, service: library }
              - { pathPrefix: /v2, service: explicit }
              - { pathPrefix: /limited, service: limited, stripPrefix: true }
              - { pathPrefix: /timed, service: timed, stripPrefix: true }
              - { pathPrefix: /canary, service: canary, stripPrefix: true }
              - { pathPrefix: /denied, service: denied, stripPrefix: true }
            services:
              - name: library
                nodes:
                  - { id: node-a, address: "{{_nodeA.BaseAddress}}", protocol: http2 }
                  - { id: node-b, address: "{{_nodeB.BaseAddress}}", protocol: http2 }
                apis:
                  - id: library
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding:
                      descriptorSet: "{{DescriptorSetPath}}"
                      services: [ transcode.test.v1.Library ]
              - name: explicit
                nodes: [ { id: node-a, address: "{{_nodeA.BaseAddress}}" } ]
                apis:
                  - id: unbound
                    path: /v2/**
                    protocol: grpcTranscoding
                    grpcTranscoding:
                      descriptorSetBase64: "{{base64}}"
                      rules:
                        - { selector: transcode.test.v1.Library.Unbound, post: "/v2/books/{id}:shout", body: "*" }
                        - { selector: transcode.test.v1.Library.GetShelf, get: "/v2/shelf/{name}" }
              - name: limited
                nodes: [ { id: node-b, address: "{{_nodeB.BaseAddress}}", protocol: http2 } ]
                apis:
                  - id: limited
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{DescriptorSetPath}}" }
                    policy: { rateLimit: { limit: 1, windowMs: 60000 } }
              - name: timed
                healthCheck: { passive: { enabled: false } }
                nodes: [ { id: node-a, address: "{{_nodeA.BaseAddress}}", protocol: http2 } ]
                apis:
                  - id: timed
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{DescriptorSetPath}}" }
                    policy: { timeouts: { responseHeadersMs: 1000, requestMs: 2500 } }
              - name: canary
                nodes:
                  - { id: node-a, address: "{{_nodeA.BaseAddress}}", version: v1 }
                  - { id: node-b, address: "{{_nodeB.BaseAddress}}", version: v2 }
                policy: { canary: { version: v2, percent: 100 } }
                apis:
                  - id: canary
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{DescriptorSetPath}}" }
              - name: denied
                nodes: [ { id: node-a, address: "{{_nodeA.BaseAddress}}" } ]
                apis:
                  - id: denied
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{DescriptorSetPath}}" }
                    policy: { ipAccess: { deny: [ "127.0.0.0/8", "::1/128" ] } }
            """, null,
            "--Gatehouse:Gateway:AccessLog:Enabled", "true",
            "--Gatehouse:Gateway:AccessLog:Path", Path.Combine(LogDir, "access.log"),
            "--Gatehouse:Gateway:Engine", Engine);
    }

    /// <summary>The engine under the gateway's plaintext port, where the JSON calls arrive.</summary>
    protected virtual string Engine => Gatehouse.Gateway.Engine.GatewayEngines.Platform;

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var node in new[] { _nodeA, _nodeB })
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        Directory.Delete(_dir, recursive: true);
    }

    private static Task<TestBackend> StartNodeAsync() => TestBackend.StartWithPipelineAsync(
        app => app.MapGrpcService<LibraryService>(), HttpProtocols.Http2, services => services.AddGrpc());
}

/// <summary>The same gateway and nodes on the loop engine: the gRPC calls go over node connections the loops carry.</summary>
public sealed class TranscodingLoopFixture : TranscodingFixture
{
    protected override string Engine => Gatehouse.Gateway.Engine.GatewayEngines.Loop;
}
