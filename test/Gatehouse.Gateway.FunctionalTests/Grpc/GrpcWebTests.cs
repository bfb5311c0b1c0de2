using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>
/// gRPC-Web through the gateway to gRPC nodes that speak HTTP/2 only: Grpc.Net.Client.Web (grpc-dotnet's gRPC-Web
/// client, in both wire modes) on the plain HTTP/1.1 port and over TLS, and the wire format checked byte by byte.
/// </summary>
public class GrpcWebTests(GrpcGatewayFixture fixture) : IClassFixture<GrpcGatewayFixture>
{
    public static TheoryData<GrpcWebMode, bool> ModesAndTransports => new()
    {
        { GrpcWebMode.GrpcWeb, false },
        { GrpcWebMode.GrpcWebText, false },
        { GrpcWebMode.GrpcWeb, true },
        { GrpcWebMode.GrpcWebText, true },
    };

    [Theory]
    [MemberData(nameof(ModesAndTransports))]
    public async Task Unary_ReachesAGrpcNode_AndBalancesPerCall(GrpcWebMode mode, bool tls)
    {
        using var channel = Channel(mode, tls);
        var invoker = channel.CreateCallInvoker();
        Assert.Equal("hello", await invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("probe"), "hello"));

        var nodes = new HashSet<string>();
        for (var i = 0; i < 8; i++)
        {
            nodes.Add(await invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("probe"), "whoami"));
        }

        Assert.Equal(["node-a", "node-b"], nodes.Order());
    }

    [Theory]
    [MemberData(nameof(ModesAndTransports))]
    public async Task ServerStreaming_EveryMessageThenOk(GrpcWebMode mode, bool tls)
    {
        using var channel = Channel(mode, tls);
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(ProbeGrpcMethods.Stream, null, Options("probe"), "50");
        var received = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            received.Add(call.ResponseStream.Current);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => "m" + i), received);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [MemberData(nameof(ModesAndTransports))]
    public async Task NodeError_TrailersOnly_ClientSeesTheNodesStatusAndMessage(GrpcWebMode mode, bool tls)
    {
        using var channel = Channel(mode, tls);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CreateCallInvoker().AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("probe"), "missing").ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("no such thing: ünïcode 100%", error.Status.Detail);
    }

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task GatewayErrors_AreGrpcStatuses(GrpcWebMode mode)
    {
        using var channel = Channel(mode, tls: false);
        var invoker = channel.CreateCallInvoker();

        var unknown = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("nope"), "x").ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, unknown.StatusCode);
        Assert.StartsWith("service_not_found: ", unknown.Status.Detail);

        var offline = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("offline"), "x").ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, offline.StatusCode);
        Assert.StartsWith("no_available_node: ", offline.Status.Detail);

        // The API's 300 ms request timeout ends a call the node never answers.
        var slow = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, Options("bounded"), "x").ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, slow.StatusCode);
    }

    [Fact]
    public async Task ClientDeadline_TravelsAsGrpcTimeout()
    {
        using var channel = Channel(GrpcWebMode.GrpcWeb, tls: false);
        var options = new CallOptions(new Metadata { { "serviceName", "slow" } }, DateTime.UtcNow.AddMilliseconds(400));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CreateCallInvoker().AsyncUnaryCall(ProbeGrpcMethods.Unary, null, options, "x").ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    /// <summary>
    /// The wire, without a gRPC library: a grpc-web-text request as a browser's fetch sends it, and a response that
    /// is base64 of one data frame followed by the trailer frame (flag 0x80) carrying grpc-status.
    /// </summary>
    [Fact]
    public async Task Wire_GrpcWebText_DataFrameThenTrailerFrame()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Gateway.Port}{ProbeGrpcMethods.UnaryPath}")
        {
            Content = new StringContent(Convert.ToBase64String(Frame(0, Encoding.UTF8.GetBytes("hi there")))),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc-web-text");
        request.Headers.Accept.ParseAdd("application/grpc-web-text");
        request.Headers.Add("X-Grpc-Web", "1");
        request.Headers.Add("serviceName", "probe");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc-web-text", response.Content.Headers.ContentType?.MediaType);
        var body = DecodeQuads(await response.Content.ReadAsStringAsync());

        var (flag, payload, rest) = ReadFrame(body);
        Assert.Equal(0, flag);
        Assert.Equal("hi there", Encoding.UTF8.GetString(payload));
        var (trailerFlag, trailers, end) = ReadFrame(rest);
        Assert.Equal(0x80, trailerFlag);
        Assert.Contains("grpc-status:0", Encoding.ASCII.GetString(trailers).Replace(" ", ""));
        Assert.Empty(end);
    }

    /// <summary>A grpc-web-text body that is not base64 is the client's mistake: a gRPC status, and no stack trace in the log.</summary>
    [Fact]
    public async Task Wire_BadBase64_IsAClientErrorWithAGrpcStatus()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Gateway.Port}{ProbeGrpcMethods.UnaryPath}")
        {
            Content = new StringContent("AAAAAAhoaSB0!!!!"),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc-web-text");
        request.Headers.Accept.ParseAdd("application/grpc-web-text");
        request.Headers.Add("serviceName", "probe");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc-web-text", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("13", response.Headers.GetValues("grpc-status").Single());
        Assert.StartsWith("bad_request: ", Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()));
        Assert.DoesNotContain(fixture.Gateway.Logs.Entries, e => e.Message.Contains("not valid base64") && e.Exception is not null);
    }

    /// <summary>With the bridge off, gRPC-Web passes through untouched, for a node that serves gRPC-Web itself.</summary>
    [Fact]
    public async Task BridgeOff_PassesGrpcWebThroughUnchanged()
    {
        await using var node = await TestBackend.StartAsync(context =>
            context.Response.WriteAsync($"{context.Request.Protocol} {context.Request.ContentType} te={context.Request.Headers.TE}"));
        await using var gateway = await GatewayTestHost.StartAsync($$"""
            services:
              - name: web
                nodes: [ { id: w1, address: "{{node.BaseAddress}}" } ]
                apis: [ { id: web, path: "/test.Probe/*" } ]
            """, null, "--Gatehouse:Gateway:GrpcWeb", "false");
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{gateway.Port}{ProbeGrpcMethods.UnaryPath}")
        {
            Content = new ByteArrayContent(Frame(0, "x"u8.ToArray())),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc-web+proto");
        request.Headers.Add("serviceName", "web");

        using var response = await client.SendAsync(request);
        Assert.Equal("HTTP/1.1 application/grpc-web+proto te=", await response.Content.ReadAsStringAsync());
    }

    private GrpcChannel Channel(GrpcWebMode mode, bool tls)
    {
        var port = tls ? fixture.TlsPort : fixture.Gateway.Port;
        var web = new GrpcWebHandler(mode, new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        return GrpcChannel.ForAddress($"{(tls ? "https" : "http")}://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = web,
            // Over TLS as a browser would: HTTP/2 by ALPN. In clear, HTTP/1.1, which no gRPC client could use.
            HttpVersion = tls ? HttpVersion.Version20 : HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
    }

    private static CallOptions Options(string service) => new(new Metadata { { "serviceName", service } });

    private static byte[] Frame(byte flag, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Base64 decoded quad by quad: each message may be encoded on its own, padding included, as gRPC-Web allows.</summary>
    private static byte[] DecodeQuads(string text)
    {
        Assert.True(text.Length % 4 == 0, $"{text.Length} characters of base64");
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i += 4)
        {
            bytes.AddRange(Convert.FromBase64String(text.Substring(i, 4)));
        }

        return bytes.ToArray();
    }

    private static (byte Flag, byte[] Payload, byte[] Remaining) ReadFrame(byte[] data)
    {
        Assert.True(data.Length >= 5, $"{data.Length} bytes left, a frame needs 5 or more");
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(1));
        return (data[0], data[5..(5 + length)], data[(5 + length)..]);
    }
}

/// <summary>
/// gRPC-Web on the plaintext port of a gateway on the loop engine: the gRPC nodes speak HTTP/2, so the node side is
/// the platform client's HTTP/2 over connections the loops carry. Every test of the base runs again.
/// </summary>
public sealed class GrpcWebTestsOnLoop(GrpcGatewayLoopFixture fixture) : GrpcWebTests(fixture), IClassFixture<GrpcGatewayLoopFixture>
{
    private readonly GrpcGatewayLoopFixture _fixture = fixture;

    [Fact]
    public async Task NodeConnections_CarriedByTheLoops()
    {
        await Unary_ReachesAGrpcNode_AndBalancesPerCall(GrpcWebMode.GrpcWeb, tls: false);

        Assert.True(Gatehouse.Gateway.Engine.LoopEngine.UpstreamConnections(_fixture.Gateway.Services) > 0,
            "the loop engine carried no node connection for gRPC-Web calls");
    }
}
