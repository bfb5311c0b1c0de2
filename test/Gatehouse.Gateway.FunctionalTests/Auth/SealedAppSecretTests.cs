using System.Net;
using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Sdk.Signing;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>
/// App secrets as the admin publishes them: sealed for transport (<c>enc:v1:</c>) under a key derived from the control
/// secret. A gateway with the same control secret opens them when it compiles the snapshot; one with another refuses it.
/// </summary>
public class SealedAppSecretTests
{
    private const string AppSecret = "plain-secret-of-app-a-0123";
    private const int ConfigRejectedEvent = 3002;

    private static GatewayConfig SignedConfig(long version, EchoBackend node, string sealedSecret) => Config(version, node) with
    {
        Apps = [new AppConfig { AppKey = "app-a", Secret = sealedSecret, Permissions = ["s"] }],
        Global = new PolicyConfig { Auth = new AuthConfig { Sign = new SignConfig() } },
    };

    private static async Task<HttpStatusCode> SignedGetAsync(GatewayTestHost gateway, string secret, string nonce)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{gateway.Port}/x"));
        request.Headers.Add("serviceName", "s");
        new GatehouseSigner("app-a", secret, []).Sign(request, [], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), nonce);
        using var response = await gateway.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task SealedSecret_FromAdmin_CompilesAndSignedRequestPasses_OtherControlSecretRejectsSnapshot()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        var sealedSecret = new AppSecretTransport(Secret).Seal("app-a", AppSecret);
        admin.Serve(SignedConfig(1, backend, sealedSecret));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);
        await WaitForVersionAsync(gw, 1, TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(gw, AppSecret, "n1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignedGetAsync(gw, "not-the-secret-of-app-a", "n2"));
        // The snapshot file keeps the sealed value, never the plaintext.
        var file = await File.ReadAllTextAsync(gw.SnapshotPath);
        Assert.Contains(sealedSecret, file, StringComparison.Ordinal);
        Assert.DoesNotContain(AppSecret, file, StringComparison.Ordinal);

        // Version 2 sealed by an admin with another control secret: refused, naming the field, and version 1 keeps serving.
        admin.Serve(SignedConfig(2, backend, new AppSecretTransport("another-control-secret").Seal("app-a", AppSecret)));
        using var push = await SnapshotServer.PushAsync(gw.Control, Secret, 2);
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Entries.Any(e => e.EventId.Id == ConfigRejectedEvent
                && e.Message.Contains("apps[app-a].secret", StringComparison.Ordinal))), TimeSpan.FromSeconds(10),
            "the gateway did not reject the snapshot naming apps[app-a].secret");
        Assert.Equal(1, (await gw.GetVersionAsync()).Version);
        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(gw, AppSecret, "n3"));
    }

    [Fact]
    public async Task SealedSecret_InDeclarativeFile_OpensWithTheConfiguredControlSecret()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        var yaml = $$"""
            global: { auth: { sign: {} } }
            apps:
              - { appKey: app-a, secret: "{{new AppSecretTransport(Secret).Seal("app-a", AppSecret)}}", permissions: [s] }
            services:
              - name: s
                nodes: [ { id: b, address: "{{backend.Address}}" } ]
                apis: [ { id: all, path: "/**" } ]
            """;
        await using var gw = await GatewayTestHost.StartAsync(yaml, null, "--Gatehouse:ControlSecret", Secret);

        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(gw, AppSecret, "f1"));
    }
}
