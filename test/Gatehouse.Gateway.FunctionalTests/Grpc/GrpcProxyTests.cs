using System.Diagnostics;
using System.Net;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>
/// gRPC through the gateway as three real clients see it (Grpc.Net.Client, @grpc/grpc-js, python3-grpcio): the
/// node's statuses, trailers-only ones included, deadlines, cancellation, 4 MiB messages, h2c, and the gateway's
/// own errors as gRPC statuses.
/// </summary>
public class GrpcProxyTests(GrpcGatewayFixture fixture) : IClassFixture<GrpcGatewayFixture>
{
    private const int Ok = 0;
    private const int Cancelled = 1;
    private const int DeadlineExceeded = 4;
    private const int NotFound = 5;
    private const int ResourceExhausted = 8;
    private const int Unimplemented = 12;
    private const int Unavailable = 14;

    public static TheoryData<string, bool> ClientsAndTransports => new()
    {
        { GrpcClients.Dotnet, false }, { GrpcClients.Node, false }, { GrpcClients.Python, false },
        { GrpcClients.Dotnet, true }, { GrpcClients.Node, true }, { GrpcClients.Python, true },
    };

    [Theory]
    [MemberData(nameof(ClientsAndTransports))]
    public async Task TrailersOnlyError_EveryClientSeesTheNodesStatus(string client, bool tls)
    {
        var outcome = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "missing", "probe"), tls);

        Assert.True(outcome.Code == NotFound, outcome.ToString());
        Assert.Equal("no such thing: ünïcode 100%", outcome.Message);
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task GrpcJsNode_UnaryStreamingAndTrailersOnlyError(string client)
    {
        var unary = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "jsnode"));
        Assert.True(unary.Code == Ok, unary.ToString());
        Assert.Equal(["hello"], unary.Responses);

        var stream = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.StreamPath, "2", "jsnode"));
        Assert.True(stream.Code == Ok, stream.ToString());
        Assert.Equal(["m0", "m1"], stream.Responses);

        var missing = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "missing", "jsnode"), tls: true);
        Assert.True(missing.Code == NotFound, missing.ToString());
        Assert.Equal("no such thing (grpc-js node)", missing.Message);
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task UnaryAndServerStreaming_OverH2c_Ok(string client)
    {
        var unary = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "probe"));
        Assert.True(unary.Code == Ok, unary.ToString());
        Assert.Equal(["hello"], unary.Responses);

        var stream = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.StreamPath, "3", "probe"));
        Assert.True(stream.Code == Ok, stream.ToString());
        Assert.Equal(["m0", "m1", "m2"], stream.Responses);
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task FourMiBMessages_BothWays(string client)
    {
        const int FourMiB = 4 * 1024 * 1024;
        var outcome = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "", "probe", BigRequestBytes: FourMiB));

        Assert.True(outcome.Code == Ok, outcome.ToString());
        Assert.Equal([(long)FourMiB], outcome.Sizes);
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task ClientDeadline_DeadlineExceeded(string client)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "sleep:8000", "probe", DeadlineMs: 300));

        Assert.True(outcome.Code == DeadlineExceeded, outcome.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task Cancellation_ReachesTheNode(string client)
    {
        var before = fixture.StateA.Canceled + fixture.StateB.Canceled;
        var outcome = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "sleep:10000", "probe", CancelAfterMs: 500));

        Assert.True(outcome.Code == Cancelled, outcome.ToString());
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(fixture.StateA.Canceled + fixture.StateB.Canceled > before),
            TimeSpan.FromSeconds(5), "the node's call to be canceled");
    }

    [Theory]
    [MemberData(nameof(GrpcClients.All), MemberType = typeof(GrpcClients))]
    public async Task GatewayErrors_AreGrpcStatuses(string client)
    {
        var unknown = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "nope"));
        Assert.True(unknown.Code == Unimplemented, unknown.ToString());
        Assert.StartsWith("service_not_found: ", unknown.Message);

        var offline = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "offline"));
        Assert.True(offline.Code == Unavailable, offline.ToString());
        Assert.StartsWith("no_available_node: ", offline.Message);

        // One call a minute: the first passes, the second is refused.
        var first = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "limited-" + client));
        Assert.True(first.Code == Ok, first.ToString());
        var limited = await CallAsync(client, new GrpcCall(ProbeGrpcMethods.UnaryPath, "hello", "limited-" + client));
        Assert.True(limited.Code == ResourceExhausted, limited.ToString());
        Assert.StartsWith("rate_limited: ", limited.Message);
    }

    [Theory]
    [InlineData("slow", "300m")]
    [InlineData("bounded", "30S")]
    [InlineData("bounded", "99999999H")]
    public async Task GatewayDeadline_IsTheShorterOfGrpcTimeoutAndTheApiTimeout(string service, string grpcTimeout)
    {
        // A bare HTTP/2 client: it enforces no deadline of its own, and the node ignores grpc-timeout.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.H2cPort}{ProbeGrpcMethods.UnaryPath}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 1, (byte)'x']),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.Add("serviceName", service);
        request.Headers.Add("grpc-timeout", grpcTimeout);
        request.Headers.TE.ParseAdd("trailers");

        var watch = Stopwatch.StartNew();
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode} {response.Headers} {System.Text.Encoding.UTF8.GetString(body)}");
        Assert.Empty(body);
        Assert.Equal("4", Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.StartsWith("upstream_timeout: ", Assert.Single(response.Headers.GetValues("grpc-message")));
        Assert.Empty(response.TrailingHeaders);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientAndBidirectionalStreaming_FullDuplex(bool tls)
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(
            tls ? $"https://127.0.0.1:{fixture.TlsPort}" : $"http://127.0.0.1:{fixture.H2cPort}",
            new global::Grpc.Net.Client.GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    UseProxy = false,
                    SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
                },
            });
        var invoker = channel.CreateCallInvoker();
        var options = new global::Grpc.Core.CallOptions(new global::Grpc.Core.Metadata { { "serviceName", "probe" } },
            DateTime.UtcNow.AddSeconds(30));

        using (var collect = invoker.AsyncClientStreamingCall(ProbeGrpcMethods.Collect, null, options))
        {
            foreach (var part in new[] { "a", "b", "c" })
            {
                await collect.RequestStream.WriteAsync(part);
            }

            await collect.RequestStream.CompleteAsync();
            Assert.Equal("a+b+c", await collect);
        }

        // Each answer is awaited before the next message is sent: a gateway that buffered either direction would hang.
        using var chat = invoker.AsyncDuplexStreamingCall(ProbeGrpcMethods.Chat, null, options);
        for (var i = 0; i < 3; i++)
        {
            await chat.RequestStream.WriteAsync("m" + i);
            Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("re:m" + i, chat.ResponseStream.Current);
        }

        await chat.RequestStream.CompleteAsync();
        Assert.False(await chat.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(global::Grpc.Core.StatusCode.OK, chat.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Balancing_IsPerCall_OnOneClientConnection()
    {
        // Grpc.Net.Client multiplexes every call of a channel on one HTTP/2 connection to the gateway.
        var names = new HashSet<string>();
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{fixture.H2cPort}");
        var invoker = channel.CreateCallInvoker();
        var options = new global::Grpc.Core.CallOptions(new global::Grpc.Core.Metadata { { "serviceName", "probe" } });
        for (var i = 0; i < 10; i++)
        {
            names.Add(await invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, options, "whoami"));
        }

        Assert.Equal(["node-a", "node-b"], names.Order());
    }

    private Task<GrpcOutcome> CallAsync(string client, GrpcCall call, bool tls = false) =>
        GrpcClients.CallAsync(client, tls ? fixture.TlsPort : fixture.H2cPort, call, tls ? fixture.TlsRoot : null);
}
