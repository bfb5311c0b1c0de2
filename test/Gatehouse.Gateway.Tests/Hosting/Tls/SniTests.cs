using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static Gatehouse.Testing.Eventually;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// Several certificates on one TLS port of a real gateway, chosen by the client's server name (SNI): the default
/// single certificate (localhost), two exact hosts and a wildcard, each served with its own intermediate to a strict
/// client that trusts only the root.
/// </summary>
public sealed class SniTests : IAsyncLifetime
{
    private const string C = "--Gatehouse:Gateway:Tls:Certificates";
    private readonly TestPki _pki = TestPki.Create("Gatehouse Sni");
    private readonly List<X509Certificate2> _leaves = [];
    private TlsGatewayHarness _harness = null!;
    private string _rootPath = null!;

    public async Task InitializeAsync()
    {
        _harness = await TlsGatewayHarness.StartAsync();
        _rootPath = _pki.WriteRootPem(_harness.Directory);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        foreach (var leaf in _leaves)
        {
            leaf.Dispose();
        }

        _pki.Dispose();
    }

    [Fact]
    public async Task EachServerName_GetsItsLeafWithItsIntermediate_ExactBeatsWildcard_UnknownGetsDefault()
    {
        var (a, aArgs) = Leaf("a", 0, "a.example.test");
        var (b, bArgs) = Pfx("b", 1, "b.example.test");
        var (w, wArgs) = Leaf("w", 2, "*.example.test");
        var (gw, _) = await _harness.StartGatewayAsync([.. Default(), .. aArgs, .. bArgs, .. wArgs]);

        foreach (var (name, expected) in (IEnumerable<(string, X509Certificate2)>)
            [
                ("a.example.test", a), ("A.Example.Test", a), ("b.example.test", b),
                ("c.example.test", w), ("zz.example.test", w),
                ("x.c.example.test", _pki.Server), ("example.test", _pki.Server), ("unknown.test", _pki.Server),
                ("localhost", _pki.Server), (string.Empty, _pki.Server), ("127.0.0.1", _pki.Server),
            ])
        {
            var seen = await TlsGatewayHarness.HandshakeAsync(gw, name, _pki);
            Assert.True(expected.Thumbprint == seen.Leaf, $"SNI '{name}': expected '{expected.Subject}', got thumbprint {seen.Leaf}");
            Assert.True(seen.StrictlyTrusted, $"SNI '{name}': the strict client could not build the chain from what was sent");
            Assert.Equal(SslApplicationProtocol.Http2, seen.Alpn);
        }
    }

    [Fact]
    public async Task RequestWithServerName_ReachesBackendOverHttp2_WithThatLeaf()
    {
        var (b, bArgs) = Leaf("b", 0, "b.example.test");
        var (gw, _) = await _harness.StartGatewayAsync([.. Default(), .. bArgs]);
        string? presented = null;
        using var client = TlsGatewayHarness.LoopbackClient(gw, (leaf, chain) =>
        {
            presented = leaf.Thumbprint;
            return _pki.StrictlyTrustsRoot(leaf, chain);
        });

        var request = new HttpRequestMessage(HttpMethod.Get, $"https://b.example.test:{gw}/x")
        {
            Headers = { { "serviceName", "s" } },
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(b.Thumbprint, presented);
    }

    [Fact]
    public async Task ConfiguredHosts_ReplaceTheCertificatesOwnNames()
    {
        // The leaf names only other.example.test; Hosts sends it for alias.test instead.
        var (leaf, args) = Leaf("alias", 0, "other.example.test");
        var (gw, logs) = await _harness.StartGatewayAsync([.. Default(), .. args, $"{C}:0:Hosts:0", "Alias.Test."]);

        Assert.Equal(leaf.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "alias.test", _pki)).Leaf);
        Assert.Equal(_pki.Server.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "other.example.test", _pki)).Leaf);
        Assert.Contains(logs.Entries, e => e.Message.Contains("serving 'CN=alias' ", StringComparison.Ordinal)
            && e.Message.Contains("for alias.test;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListOnly_FirstListedCertificateIsTheDefault()
    {
        var (a, aArgs) = Leaf("a", 0, "a.example.test");
        var (b, bArgs) = Leaf("b", 1, "b.example.test");
        var (gw, _) = await _harness.StartGatewayAsync([.. Trust(), .. aArgs, .. bArgs]);

        Assert.Equal(b.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "b.example.test", _pki)).Leaf);
        Assert.Equal(a.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "unknown.test", _pki)).Leaf);
        Assert.Equal(a.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, string.Empty, _pki)).Leaf);
    }

    [Fact]
    public void OneFileWithoutIntermediate_Refused_NamingThatFileAndItsKey()
    {
        var (_, aArgs) = Leaf("a", 0, "a.example.test");
        var (_, bArgs) = Leaf("b", 1, "b.example.test", withIntermediate: false);
        var bFile = bArgs[1];

        var error = Assert.Throws<TlsConfigurationException>(() => _harness.Create(new TlsTerminationTests.LogSink(), [.. Default(), .. aArgs, .. bArgs]));

        Assert.StartsWith("TLS certificate chain is incomplete: 'CN=b' is issued by 'CN=Gatehouse Sni Intermediate CA'", error.Message);
        Assert.Contains($"which is not in {bFile};", error.Message);
        Assert.Contains("certificate Gatehouse:Gateway:Tls:Certificates:1;", error.Message);
        Assert.DoesNotContain(aArgs[1], error.Message);
    }

    [Fact]
    public async Task OneFileWithoutIntermediate_Warn_ServesAllAndWarnsNamingThatFile()
    {
        var (_, aArgs) = Leaf("a", 0, "a.example.test");
        var (b, bArgs) = Leaf("b", 1, "b.example.test", withIntermediate: false);
        var (gw, logs) = await _harness.StartGatewayAsync([.. Default(), .. aArgs, .. bArgs, "--tls-chain-check", "warn"]);

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("TLS certificate chain is incomplete", StringComparison.Ordinal));
        Assert.Contains($"which is not in {bArgs[1]};", warning.Message);
        var seen = await TlsGatewayHarness.HandshakeAsync(gw, "b.example.test", _pki);
        Assert.Equal(b.Thumbprint, seen.Leaf);
        Assert.False(seen.StrictlyTrusted);
    }

    [Fact]
    public async Task OneCertificateReplaced_OnlyThatOneIsSwapped()
    {
        var (a, aArgs) = Leaf("a", 0, "a.example.test");
        var (b, bArgs) = Leaf("b", 1, "b.example.test");
        var (gw, logs) = await _harness.StartGatewayAsync([.. Default(), .. aArgs, .. bArgs, "--Gatehouse:Gateway:Tls:ReloadInterval", "00:00:00.100"]);
        Assert.Equal(a.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "a.example.test", _pki)).Leaf);

        // A renewal of a: a new key and leaf for the same name, written over a's files.
        var renewedDir = Directory.CreateDirectory(Path.Combine(_harness.Directory, "renewed")).FullName;
        var renewed = Track(_pki.IssueLeaf("CN=a renewed", serverAuth: true, "a.example.test"));
        var (cert, key) = _pki.WriteLeafPem(renewed, renewedDir, "a", withIntermediate: true);
        TlsGatewayHarness.Replace(key, aArgs[3]);
        TlsGatewayHarness.Replace(cert, aArgs[1]);

        await WaitUntilAsync(async () => (await TlsGatewayHarness.HandshakeAsync(gw, "a.example.test", _pki)).Leaf == renewed.Thumbprint,
            "the renewed certificate of a.example.test is served");
        var seenA = await TlsGatewayHarness.HandshakeAsync(gw, "a.example.test", _pki);
        Assert.True(seenA.StrictlyTrusted);
        Assert.Equal(b.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "b.example.test", _pki)).Leaf);
        Assert.Equal(_pki.Server.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "unknown.test", _pki)).Leaf);

        var reloads = logs.Entries.Where(e => e.Message.StartsWith("TLS reloaded on port", StringComparison.Ordinal)).ToArray();
        var reload = Assert.Single(reloads);
        Assert.Contains("serving 'CN=a renewed'", reload.Message);
    }

    [Fact]
    public async Task ReplacementOfOneRefused_ItKeepsItsOldCertificate()
    {
        var (a, aArgs) = Leaf("a", 0, "a.example.test");
        var (gw, logs) = await _harness.StartGatewayAsync([.. Default(), .. aArgs, "--Gatehouse:Gateway:Tls:ReloadInterval", "00:00:00.100"]);

        var renewedDir = Directory.CreateDirectory(Path.Combine(_harness.Directory, "renewed")).FullName;
        var renewed = Track(_pki.IssueLeaf("CN=a renewed", serverAuth: true, "a.example.test"));
        var (leafOnly, key) = _pki.WriteLeafPem(renewed, renewedDir, "a", withIntermediate: false);
        TlsGatewayHarness.Replace(key, aArgs[3]);
        TlsGatewayHarness.Replace(leafOnly, aArgs[1]);

        await WaitUntilAsync(() => Task.FromResult(logs.Entries.Any(e => e.Level == LogLevel.Error
            && e.Message.Contains("TLS certificate files of Gatehouse:Gateway:Tls:Certificates:0 changed", StringComparison.Ordinal)
            && e.Message.Contains("still serving the previous one", StringComparison.Ordinal))), "the leaf-only renewal is refused");
        Assert.Equal(a.Thumbprint, (await TlsGatewayHarness.HandshakeAsync(gw, "a.example.test", _pki)).Leaf);
    }

    private string[] Trust() => ["--Gatehouse:Gateway:Tls:TrustedRootsPath", _rootPath];

    /// <summary>The single certificate (the localhost leaf) through the original flags, plus the root to trust.</summary>
    private string[] Default()
    {
        var (cert, key) = _pki.WriteServerPem(_harness.Directory, withIntermediate: true);
        return [.. Trust(), "--tls-cert", cert, "--tls-key", key];
    }

    /// <summary>A PEM leaf for <paramref name="dnsNames"/> as list entry <paramref name="index"/>; args[1] is its certificate file, args[3] its key.</summary>
    private (X509Certificate2 Leaf, string[] Args) Leaf(string name, int index, string dnsName, bool withIntermediate = true)
    {
        var leaf = Track(_pki.IssueLeaf($"CN={name}", serverAuth: true, dnsName));
        var (cert, key) = _pki.WriteLeafPem(leaf, _harness.Directory, name, withIntermediate);
        return (leaf, [$"{C}:{index}:CertificatePemPath", cert, $"{C}:{index}:KeyPemPath", key]);
    }

    /// <summary>A PKCS#12 leaf with its intermediate as list entry <paramref name="index"/>.</summary>
    private (X509Certificate2 Leaf, string[] Args) Pfx(string name, int index, string dnsName)
    {
        var leaf = Track(_pki.IssueLeaf($"CN={name}", serverAuth: true, dnsName));
        var path = Path.Combine(_harness.Directory, $"{name}.pfx");
        var collection = new X509Certificate2Collection { leaf, X509CertificateLoader.LoadCertificate(_pki.Intermediate.RawData) };
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, "pw")!);
        return (leaf, [$"{C}:{index}:CertificatePath", path, $"{C}:{index}:Password", "pw"]);
    }

    private X509Certificate2 Track(X509Certificate2 leaf)
    {
        _leaves.Add(leaf);
        return leaf;
    }
}
