using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// HTTP/2 requests carrying connection-specific header fields are malformed (RFC 9113 §8.2.2) and must not be
/// forwarded (§8.1.1); sent over the TLS port (ALPN h2) as raw frames, since HttpClient drops these fields.
/// </summary>
public sealed class Http2MalformedRequestTests : IAsyncLifetime
{
    private readonly TestPki _pki = TestPki.Create("Gatehouse H2");
    private TlsGatewayHarness _harness = null!;
    private int _backendRequests;
    private int _tlsPort;

    public async Task InitializeAsync()
    {
        _harness = await TlsGatewayHarness.StartAsync(backend: async context =>
        {
            Interlocked.Increment(ref _backendRequests);
            await context.Request.Body.CopyToAsync(Stream.Null);
            await context.Response.WriteAsync("reached the node");
        });
        var (cert, key) = _pki.WriteServerPem(_harness.Directory, withIntermediate: true);
        (_tlsPort, _) = await _harness.StartGatewayAsync("--tls-cert", cert, "--tls-key", key, "--tls-chain-check", "warn");
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _pki.Dispose();
    }

    private static List<(string, string)> Request(string method, params (string, string)[] extra)
    {
        List<(string, string)> headers = [(":method", method), (":scheme", "https"), (":authority", "localhost"), (":path", "/x"), ("servicename", "s")];
        headers.AddRange(extra);
        return headers;
    }

    [Theory]
    [InlineData("transfer-encoding", "chunked")]
    [InlineData("transfer-encoding", "gzip")]
    [InlineData("keep-alive", "timeout=5")]
    [InlineData("proxy-connection", "keep-alive")]
    [InlineData("upgrade", "websocket")]
    public async Task ConnectionSpecificField_400BadRequestProblem_NothingForwarded(string name, string value)
    {
        var answer = await RawHttp2.SendAsync(_tlsPort, Request("POST", (name, value)), "hello"u8.ToArray());

        Assert.True(answer.Status == 400, $"expected 400, got {answer}");
        Assert.Contains("\"code\":\"bad_request\"", answer.Body, StringComparison.Ordinal);
        Assert.Contains(name, answer.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, Volatile.Read(ref _backendRequests));
    }

    [Fact]
    public async Task ConnectionField_ResetByKestrel_ProtocolError_NothingForwarded()
    {
        // Kestrel refuses these two itself before the gateway sees the request: RST_STREAM with PROTOCOL_ERROR (0x1).
        var connection = await RawHttp2.SendAsync(_tlsPort, Request("GET", ("connection", "keep-alive")));
        var te = await RawHttp2.SendAsync(_tlsPort, Request("GET", ("te", "gzip")));

        Assert.True(connection.ResetCode == 1u || connection.GoAwayCode == 1u, $"connection: got {connection}");
        Assert.True(te.ResetCode == 1u || te.GoAwayCode == 1u, $"te: got {te}");
        Assert.Equal(0, Volatile.Read(ref _backendRequests));
    }

    [Fact]
    public async Task OrdinaryRequests_AndTeTrailers_StillForwarded()
    {
        var plain = await RawHttp2.SendAsync(_tlsPort, Request("POST"), "hello"u8.ToArray());
        var trailers = await RawHttp2.SendAsync(_tlsPort, Request("GET", ("te", "trailers")));

        Assert.True(plain.Status == 200, $"got {plain}");
        Assert.Equal("reached the node", plain.Body);
        Assert.True(trailers.Status == 200, $"got {trailers}");
        Assert.Equal(2, Volatile.Read(ref _backendRequests));
    }
}
