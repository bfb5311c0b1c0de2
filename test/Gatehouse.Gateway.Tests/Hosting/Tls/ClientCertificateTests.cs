using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Tests.Infrastructure;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// Client certificates on the TLS port of a real gateway in front of a real backend that echoes the
/// client-certificate headers it received: the handshake verifies against the configured CA only, and per-API
/// <c>auth.clientCertificate</c> answers 401 / 403 / passes.
/// </summary>
public sealed class ClientCertificateTests : IAsyncLifetime
{
    private readonly TestPki _pki = TestPki.Create("Gatehouse Mtls");
    private readonly TestPki _foreign = TestPki.Create("Foreign");
    private readonly X509Certificate2 _other;
    private TlsGatewayHarness _harness = null!;
    private string[] _serverArgs = null!;

    public ClientCertificateTests() => _other = _pki.IssueLeaf("CN=other client, O=Example", serverAuth: false);

    public async Task InitializeAsync()
    {
        _harness = await TlsGatewayHarness.StartAsync($$"""
                  - id: open
                    path: "/open/**"
                  - id: cert
                    path: "/cert/**"
                    policy: { auth: { clientCertificate: {} } }
                  - id: listed
                    path: "/listed/**"
                    policy: { auth: { clientCertificate: { subjects: ["{{_pki.Client.Subject}}"] } } }
                  - id: printed
                    path: "/printed/**"
                    policy: { auth: { clientCertificate: { thumbprints: ["{{Colons(Sha256(_other))}}"] } } }
            """);
        var (cert, key) = _pki.WriteServerPem(_harness.Directory, withIntermediate: true);
        _serverArgs = ["--tls-cert", cert, "--tls-key", key, "--Gatehouse:Gateway:Tls:TrustedRootsPath", _pki.WriteRootPem(_harness.Directory)];
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _other.Dispose();
        _pki.Dispose();
        _foreign.Dispose();
    }

    [Fact]
    public async Task Require_WithoutCertificate_HandshakeFails()
    {
        var gw = await StartAsync("require");
        using var client = Client(gw, certificate: null);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(Get(gw, "/open/x")));
    }

    [Fact]
    public async Task Require_CertificateFromTrustedCa_200_BackendSeesSubjectAndSha256()
    {
        var gw = await StartAsync("require");
        using var client = Client(gw, Context(_pki.Client, _pki.Intermediate));

        // Two connections (one per version): the second would resume the first's TLS session, which brings back no
        // client intermediate, so resumption must be off for the chain to verify again.
        foreach (var version in (Version[])[HttpVersion.Version11, HttpVersion.Version20])
        {
            var request = Get(gw, "/open/x");
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"subject=CN=Gatehouse Mtls Client;sha256={Sha256(_pki.Client)}", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Require_CertificateFromForeignCa_HandshakeFails()
    {
        var gw = await StartAsync("require");
        using var client = Client(gw, Context(_foreign.Client, _foreign.Intermediate));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(Get(gw, "/open/x")));
    }

    [Fact]
    public async Task Require_CertificateWithoutClientAuthUsage_HandshakeFails()
    {
        // Issued by the trusted CA, but for servers only (extended key usage serverAuth).
        var gw = await StartAsync("require");
        using var client = Client(gw, Context(_pki.Server, _pki.Intermediate));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(Get(gw, "/open/x")));
    }

    [Fact]
    public async Task Optional_WithoutCertificate_OpenApiPasses_CertificateApisAnswer401()
    {
        var gw = await StartAsync("optional");
        using var client = Client(gw, certificate: null);

        var open = await client.SendAsync(Get(gw, "/open/x"));
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal("subject=-;sha256=-", await open.Content.ReadAsStringAsync());

        foreach (var path in (string[])["/cert/x", "/listed/x", "/printed/x"])
        {
            var response = await client.SendAsync(Get(gw, path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("unauthorized", await CodeAsync(response));
            Assert.Contains("ClientCertificate", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Optional_AllowLists_WrongCertificate403_RightCertificate200()
    {
        var gw = await StartAsync("optional");
        using var listed = Client(gw, Context(_pki.Client, _pki.Intermediate));
        using var other = Client(gw, Context(_other, _pki.Intermediate));

        // Subject list: the listed client passes, the other one (same CA) is forbidden.
        Assert.Equal(HttpStatusCode.OK, (await listed.SendAsync(Get(gw, "/listed/x"))).StatusCode);
        var refused = await other.SendAsync(Get(gw, "/listed/x"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden", await CodeAsync(refused));

        // Thumbprint list (given with ':' separators and upper case): the other way round.
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(Get(gw, "/printed/x"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await listed.SendAsync(Get(gw, "/printed/x"))).StatusCode);

        // No list: any verified certificate.
        var any = await other.SendAsync(Get(gw, "/cert/x"));
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        Assert.Equal($"subject=CN=other client, O=Example;sha256={Sha256(_other)}", await any.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Optional_CertificateFromForeignCa_HandshakeFails()
    {
        var gw = await StartAsync("optional");
        using var client = Client(gw, Context(_foreign.Client, _foreign.Intermediate));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(Get(gw, "/open/x")));
    }

    [Fact]
    public async Task SpoofedHeaders_AreStripped_WithAndWithoutCertificate()
    {
        var gw = await StartAsync("optional");
        using var anonymous = Client(gw, certificate: null);
        using var authenticated = Client(gw, Context(_pki.Client, _pki.Intermediate));

        var spoofed = await anonymous.SendAsync(Spoofed(Get(gw, "/open/x")));
        Assert.Equal("subject=-;sha256=-", await spoofed.Content.ReadAsStringAsync());

        var mixed = await authenticated.SendAsync(Spoofed(Get(gw, "/open/x")));
        Assert.Equal($"subject=CN=Gatehouse Mtls Client;sha256={Sha256(_pki.Client)}", await mixed.Content.ReadAsStringAsync());

        // A spoofed header does not get a caller past the API's own check either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Spoofed(Get(gw, "/listed/x")))).StatusCode);
    }

    [Fact]
    public async Task None_NoCertificateAsked_CertificateApiAnswers401()
    {
        var (gw, _) = await _harness.StartGatewayAsync(_serverArgs);
        using var client = Client(gw, Context(_pki.Client, _pki.Intermediate));

        Assert.Equal("subject=-;sha256=-", await (await client.SendAsync(Spoofed(Get(gw, "/open/x")))).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Get(gw, "/cert/x"))).StatusCode);
    }

    [Fact]
    public async Task ClientCaReplaced_NewHandshakesVerifyAgainstTheNewBundle()
    {
        var bundle = Path.Combine(_harness.Directory, "clients-ca.pem");
        File.WriteAllText(bundle, _pki.Root.ExportCertificatePem() + "\n");
        var (gw, _) = await _harness.StartGatewayAsync(
            [.. _serverArgs, "--tls-client-certs", "require", "--tls-client-ca", bundle, "--Gatehouse:Gateway:Tls:ReloadInterval", "00:00:00.100"]);
        Assert.True(await AcceptedAsync(gw, _pki), "the client of the configured CA is accepted");

        var replacement = Path.Combine(_harness.Directory, "foreign-ca.pem");
        File.WriteAllText(replacement, _foreign.Root.ExportCertificatePem() + "\n");
        TlsGatewayHarness.Replace(replacement, bundle);

        await WaitUntilAsync(() => AcceptedAsync(gw, _foreign), "the client of the new CA is accepted");
        Assert.False(await AcceptedAsync(gw, _pki), "the client of the replaced CA is still accepted");
    }

    [Fact]
    public void MissingClientCaFile_StartFailsNamingKey()
    {
        var missing = Path.Combine(_harness.Directory, "no-ca.pem");

        var error = Assert.Throws<TlsConfigurationException>(() => _harness.Create(new TlsTerminationTests.LogSink(),
            [.. _serverArgs, "--tls-client-certs", "require", "--tls-client-ca", missing]));

        Assert.StartsWith($"TLS client CA file {missing} (Gatehouse:Gateway:Tls:ClientCaPath) does not exist", error.Message);
    }

    [Fact]
    public void ClientCaWithoutRoot_StartFailsNamingKey()
    {
        var bundle = Path.Combine(_harness.Directory, "intermediate-only.pem");
        File.WriteAllText(bundle, _pki.Intermediate.ExportCertificatePem() + "\n");

        var error = Assert.Throws<TlsConfigurationException>(() => _harness.Create(new TlsTerminationTests.LogSink(),
            [.. _serverArgs, "--tls-client-certs", "require", "--tls-client-ca", bundle]));

        Assert.Contains("(Gatehouse:Gateway:Tls:ClientCaPath) holds 1 certificate(s) but no root (self-signed) certificate", error.Message);
    }

    [Theory]
    [InlineData("CN=plain, O=Example", "CN=plain, O=Example")]
    [InlineData("CN=100%", "CN=100%25")]
    [InlineData("CN=a\r\nX-Evil: 1", "CN=a%0D%0AX-Evil: 1")]
    [InlineData("CN=Zoë", "CN=Zo%C3%AB")]
    public void HeaderSafe_EncodesWhatAHeaderCannotCarry(string subject, string expected)
    {
        Assert.Equal(expected, ClientCertificateIdentity.HeaderSafe(subject));
    }

    private async Task<int> StartAsync(string mode)
    {
        var (port, _) = await _harness.StartGatewayAsync(
            [.. _serverArgs, "--tls-client-certs", mode, "--tls-client-ca", _pki.WriteRootPem(_harness.Directory)]);
        return port;
    }

    /// <summary>Whether a new connection with <paramref name="issuer"/>'s client certificate gets a response.</summary>
    private async Task<bool> AcceptedAsync(int port, TestPki issuer)
    {
        using var client = Client(port, Context(issuer.Client, issuer.Intermediate));
        try
        {
            return (await client.SendAsync(Get(port, "/open/x"))).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private HttpClient Client(int port, SslStreamCertificateContext? certificate) =>
        TlsGatewayHarness.LoopbackClient(port, _pki.StrictlyTrustsRoot, certificate);

    /// <summary>The client's leaf with its intermediate, so the gateway (trusting only the root) can build the chain.</summary>
    private static SslStreamCertificateContext Context(X509Certificate2 leaf, X509Certificate2 intermediate) =>
        SslStreamCertificateContext.Create(leaf, [X509CertificateLoader.LoadCertificate(intermediate.RawData)], offline: true);

    private static HttpRequestMessage Get(int port, string path) =>
        new(HttpMethod.Get, $"https://localhost:{port}{path}") { Headers = { { "serviceName", "s" } } };

    private static HttpRequestMessage Spoofed(HttpRequestMessage request)
    {
        request.Headers.Add(ClientCertificateIdentity.SubjectHeader, "CN=admin");
        request.Headers.Add(ClientCertificateIdentity.Sha256Header, new string('0', 64));
        return request;
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("code").GetString();
    }

    private static string Sha256(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    private static string Colons(string hex) => string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2).ToUpperInvariant()));
}
