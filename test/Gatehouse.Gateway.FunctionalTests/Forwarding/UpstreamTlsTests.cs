using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

/// <summary>
/// TLS towards upstream nodes (<c>services[].upstreamTls</c>) through a real gateway to a real Kestrel HTTPS node whose
/// certificate comes from a private test PKI the machine's trust store does not know.
/// </summary>
public sealed class UpstreamTlsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-upstream-tls-").FullName;

    private static string Config(string address, string tls, string apiId = "api") => $$"""
        services:
          - name: svc
            upstreamTls: {{tls}}
            nodes:
              - { id: n1, address: "{{address}}" }
            apis:
              - { id: {{apiId}}, path: "/api/**" }
        """;

    private static string Quote(string path) => JsonSerializer.Serialize(path);

    private static HttpRequestMessage Get(string path = "/api/x")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("serviceName", "svc");
        return request;
    }

    private static async Task<string> AssertOkAsync(GatewayTestHost gw)
    {
        using var response = await gw.Client.SendAsync(Get());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        return body;
    }

    private static async Task AssertUpstreamUnreachableAsync(GatewayTestHost gw)
    {
        using var response = await gw.Client.SendAsync(Get());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"expected 502, got {(int)response.StatusCode}: {body}");
        Assert.Equal("upstream_unreachable", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    private string RootPem() => Quote(_pki.WriteRootPem(_dir));

    [Fact]
    public async Task CaFileOfNodePki_Forwards200()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {RootPem()} }}"));

        Assert.Equal("tls|none|/api/x", await AssertOkAsync(gw));
    }

    [Fact]
    public async Task NoUpstreamTls_PrivatePkiUnknownToSystemStore_502UpstreamUnreachable()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, "null"));

        await AssertUpstreamUnreachableAsync(gw);
    }

    [Fact]
    public async Task CaFileOfAnotherPki_502UpstreamUnreachable()
    {
        using var other = TestPki.Create("Other");
        var otherDir = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {Quote(other.WriteRootPem(otherDir))} }}"));

        await AssertUpstreamUnreachableAsync(gw);
    }

    [Fact]
    public async Task ServerNameNotInCertificate_502UpstreamUnreachable()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {RootPem()}, serverName: orders.internal }}"));

        await AssertUpstreamUnreachableAsync(gw);
    }

    [Fact]
    public async Task ServerNameInCertificate_NodeAddressedByIp_Forwards200()
    {
        // The node is reached at 127.0.0.1 but verified as "localhost", a name its certificate carries.
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {RootPem()}, serverName: localhost }}"));

        await AssertOkAsync(gw);
    }

    [Fact]
    public async Task InsecureSkipVerify_UnknownPki_Forwards200AndWarns()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, "{ insecureSkipVerify: true }"));

        await AssertOkAsync(gw);
        Assert.True(gw.Logs.Has(1301), "no warning about certificate verification being off");
    }

    [Fact]
    public async Task ClientCertificatePem_NodeRequiresIt_Forwards200AndNodeSeesSubject()
    {
        var (cert, key) = _pki.WriteClientPem(_dir, withIntermediate: true);
        await using var node = await TlsBackend.StartAsync(_pki, requireClientCertificate: true);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address,
            $"{{ caFile: {RootPem()}, clientCertFile: {Quote(cert)}, clientKeyFile: {Quote(key)} }}"));

        Assert.Equal("tls|CN=Gatehouse Test Client|/api/x", await AssertOkAsync(gw));
    }

    [Fact]
    public async Task ClientCertificatePfx_WithPasswordFromEnvironment_Forwards200()
    {
        var variable = "GATEHOUSE_TEST_PFX_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, "pfx-pass");
        try
        {
            var pfx = _pki.WriteClientPfx(_dir, "pfx-pass");
            await using var node = await TlsBackend.StartAsync(_pki, requireClientCertificate: true);
            await using var gw = await GatewayTestHost.StartAsync(Config(node.Address,
                $"{{ caFile: {RootPem()}, clientPfxFile: {Quote(pfx)}, clientPfxPasswordRef: {variable} }}"));

            Assert.Equal("tls|CN=Gatehouse Test Client|/api/x", await AssertOkAsync(gw));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task NoClientCertificate_NodeRequiresOne_502UpstreamUnreachable()
    {
        await using var node = await TlsBackend.StartAsync(_pki, requireClientCertificate: true);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {RootPem()} }}"));

        await AssertUpstreamUnreachableAsync(gw);
    }

    [Fact]
    public async Task WebSocket_MutualTlsNode_TunnelUsesServiceTls()
    {
        var (cert, key) = _pki.WriteClientPem(_dir, withIntermediate: true);
        await using var node = await TlsBackend.StartAsync(_pki, requireClientCertificate: true, configure: app =>
        {
            app.UseWebSockets();
            app.Run(async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                var reply = Encoding.UTF8.GetBytes($"{context.Connection.ClientCertificate?.Subject}:{Encoding.UTF8.GetString(buffer, 0, received.Count)}");
                await socket.SendAsync(reply, WebSocketMessageType.Text, true, context.RequestAborted);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
            });
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address,
            $"{{ caFile: {RootPem()}, clientCertFile: {Quote(cert)}, clientKeyFile: {Quote(key)} }}"));

        using var client = new ClientWebSocket();
        client.Options.SetRequestHeader("serviceName", "svc");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{gw.Port}/api/ws"), timeout.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, timeout.Token);
        var answer = new byte[1024];
        var count = (await client.ReceiveAsync(answer, timeout.Token)).Count;

        Assert.Equal("CN=Gatehouse Test Client:hello", Encoding.UTF8.GetString(answer, 0, count));
    }

    [Fact]
    public async Task Reload_SameTlsFiles_KeepsPool_NewCaContent_NewPool()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        var ca = RootPem();
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {ca} }}"));
        await AssertOkAsync(gw);
        var clients = gw.Services.GetRequiredService<UpstreamClientFactory>();
        var state = gw.Services.GetRequiredService<SnapshotState>();
        var pools = clients.Count;
        var invoker = state.Current!.Services["svc"].Apis[0].Invoker;

        // Another change recompiles the snapshot; the TLS files are the same, so the warm pool stays.
        await gw.ReloadAsync(Config(node.Address, $"{{ caFile: {ca} }}", apiId: "api-renamed"));
        Assert.Equal("api-renamed", state.Current!.Services["svc"].Apis[0].Id);
        Assert.Same(invoker, state.Current.Services["svc"].Apis[0].Invoker);
        Assert.Equal(pools, clients.Count);

        // A CA bundle with one more root is different trust: a new pool, and the node still verifies.
        using var other = TestPki.Create("Other");
        var bundle = Path.Combine(_dir, "bundle.pem");
        await File.WriteAllTextAsync(bundle, _pki.Root.ExportCertificatePem() + "\n" + other.Root.ExportCertificatePem() + "\n");
        await gw.ReloadAsync(Config(node.Address, $"{{ caFile: {Quote(bundle)} }}"));
        Assert.NotSame(invoker, state.Current!.Services["svc"].Apis[0].Invoker);
        Assert.Equal(pools + 1, clients.Count);
        await AssertOkAsync(gw);
    }

    [Fact]
    public async Task Reload_BadPem_RejectedNamingField_CurrentConfigKeepsServing()
    {
        await using var node = await TlsBackend.StartAsync(_pki);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address, $"{{ caFile: {RootPem()} }}"));
        await AssertOkAsync(gw);
        var (before, _) = await gw.GetVersionAsync();

        var bad = Path.Combine(_dir, "bad.pem");
        await File.WriteAllTextAsync(bad, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        await gw.WriteConfigAsync(Config(node.Address, $"{{ caFile: {Quote(bad)} }}"));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Has(3002)), TimeSpan.FromSeconds(10), "the bad config was not rejected");

        var rejection = gw.Logs.Entries.First(e => e.EventId.Id == 3002).Message;
        Assert.Contains("services[svc].upstreamTls.caFile", rejection);
        Assert.Contains("holds a malformed PEM certificate", rejection);
        Assert.Equal(before, (await gw.GetVersionAsync()).Version);
        await AssertOkAsync(gw);
    }

    [Fact]
    public async Task HealthProbe_MutualTlsNode_UsesServiceTls()
    {
        var (cert, key) = _pki.WriteClientPem(_dir, withIntermediate: true);
        await using var node = await TlsBackend.StartAsync(_pki, requireClientCertificate: true);
        await using var gw = await GatewayTestHost.StartAsync(Config(node.Address,
            $"{{ caFile: {RootPem()}, clientCertFile: {Quote(cert)}, clientKeyFile: {Quote(key)} }}"));
        var model = gw.Services.GetRequiredService<SnapshotState>().Current!.Services["svc"].Nodes[0];
        var withoutTls = new NodeModel(model.ServiceName, model.Id, model.Address, model.Weight, model.Loc, model.Online, model.Gray,
            model.Protocol, new NodeState()) { HealthPath = "/healthz" };
        var withTls = new NodeModel(model.ServiceName, model.Id, model.Address, model.Weight, model.Loc, model.Online, model.Gray,
            model.Protocol, new NodeState()) { HealthPath = "/healthz", Tls = model.Tls };

        using var prober = new Health.HealthProber();
        Assert.True(await prober.ProbeAsync(withTls, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.False(await prober.ProbeAsync(withoutTls, TimeSpan.FromSeconds(10), CancellationToken.None));
    }

    public void Dispose()
    {
        _pki.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
