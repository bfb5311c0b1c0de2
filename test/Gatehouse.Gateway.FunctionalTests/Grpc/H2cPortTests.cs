using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>Why h2c has a port of its own, and that the two cleartext ports each speak what they should.</summary>
public class H2cPortTests(GrpcGatewayFixture fixture) : IClassFixture<GrpcGatewayFixture>
{
    [Fact]
    public async Task PlainPort_StaysHttp1_H2cPort_SpeaksPriorKnowledgeHttp2()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        // A request the gateway answers itself (no service named): only the protocol matters.
        using var h2c = await client.SendAsync(Request(fixture.H2cPort, HttpVersion.Version20));
        Assert.Equal(HttpVersion.Version20, h2c.Version);
        Assert.Equal(HttpStatusCode.NotFound, h2c.StatusCode);

        using var plain = await client.SendAsync(Request(fixture.Gateway.Port, HttpVersion.Version11));
        Assert.Equal(HttpVersion.Version11, plain.Version);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request(fixture.Gateway.Port, HttpVersion.Version20)));
    }

    /// <summary>
    /// The decision's premise: a cleartext Kestrel endpoint set to HTTP/1.1 and HTTP/2 serves HTTP/1.1 only. Should
    /// Kestrel start telling the HTTP/2 preface apart there, this fails, and the plain port could serve h2c itself.
    /// </summary>
    [Fact]
    public async Task Kestrel_Http1AndHttp2WithoutTls_ServesNoPriorKnowledgeHttp2()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync(context.Request.Protocol),
            HttpProtocols.Http1AndHttp2);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var http1 = await client.SendAsync(Request(backend.Port, HttpVersion.Version11));
        Assert.Equal("HTTP/1.1", await http1.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request(backend.Port, HttpVersion.Version20)));
    }

    private static HttpRequestMessage Request(int port, Version version) => new(HttpMethod.Get, $"http://127.0.0.1:{port}/x")
    {
        Version = version,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
