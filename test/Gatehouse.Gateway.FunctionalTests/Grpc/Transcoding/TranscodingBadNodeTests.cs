using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>Nodes that do not answer like a gRPC server: 502 upstream_error, naming what was wrong.</summary>
public sealed class TranscodingBadNodeTests
{
    [Theory]
    [InlineData("not-grpc", "answered HTTP 404")]
    [InlineData("malformed", "could not be read")]
    [InlineData("two-messages", "answered OK with 2 messages")]
    public async Task BadReply_Is502UpstreamError(string mode, string detail)
    {
        await using var node = await TestBackend.StartAsync(async context =>
        {
            if (mode == "not-grpc")
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("no such page");
                return;
            }

            context.Response.ContentType = "application/grpc";
            // A message of 3 bytes that is a truncated varint field, or two well-formed empty messages.
            byte[] body = mode == "malformed" ? [0, 0, 0, 0, 3, 0x08, 0xFF, 0xFF] : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            await context.Response.Body.WriteAsync(body);
            context.Response.AppendTrailer("grpc-status", "0");
        }, HttpProtocols.Http2);
        await using var gateway = await GatewayTestHost.StartAsync($$"""
            services:
              - name: library
                healthCheck: { passive: { enabled: false } }
                nodes: [ { id: n1, address: "{{node.BaseAddress}}", protocol: http2 } ]
                apis:
                  - id: library
                    path: /v1/**
                    protocol: grpcTranscoding
                    grpcTranscoding: { descriptorSet: "{{TranscodingFixture.DescriptorSetPath}}" }
            """);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/books/1/title");
        request.Headers.Add("serviceName", "library");
        using var response = await gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_error\"", body);
        Assert.Contains(detail, body);
    }
}
