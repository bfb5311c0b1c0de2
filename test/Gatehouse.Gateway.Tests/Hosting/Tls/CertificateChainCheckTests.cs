using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>The load-time chain check against the test hierarchy root → intermediate → leaf.</summary>
public sealed class CertificateChainCheckTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create("Chain Check");

    public void Dispose() => _pki.Dispose();

    private DateTimeOffset Now => DateTimeOffset.UtcNow;

    private X509Certificate2Collection Roots => [_pki.Root];

    [Fact]
    public void Check_LeafWithIntermediate_ReachesTrustedRoot_Clean()
    {
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate), Roots, Now);

        Assert.True(result.IsClean, string.Join("\n", result.Errors.Concat(result.Warnings)));
    }

    [Fact]
    public void Check_RootAlsoInFile_Clean()
    {
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate, _pki.Root), Roots, Now);

        Assert.True(result.IsClean, string.Join("\n", result.Errors.Concat(result.Warnings)));
    }

    [Fact]
    public void Check_LeafOnly_NamesMissingIntermediateWithKeyIdAndFix()
    {
        var result = CertificateChainCheck.Check(File(_pki.Server), Roots, Now);

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("TLS certificate chain is incomplete: 'CN=localhost' is issued by 'CN=Chain Check Intermediate CA'", error);
        Assert.Contains($"(key id {KeyId(_pki.Intermediate)})", error);
        Assert.Contains("which is not in /etc/gatehouse/server.pem", error);
        Assert.Contains("append that intermediate certificate after the leaf", error);
    }

    [Fact]
    public void Check_LeafOnlyPkcs12_SaysToExportTheWholeChain()
    {
        var result = CertificateChainCheck.Check(File(_pki.Server) with { Source = "server.pfx", IsPem = false }, Roots, Now);

        var error = Assert.Single(result.Errors);
        Assert.Contains("'CN=Chain Check Intermediate CA'", error);
        Assert.Contains("export the PKCS#12 file again with the whole chain", error);
    }

    [Fact]
    public void Check_IntermediateButNoRootAnywhere_NamesTheRootAsMissing()
    {
        // Trusting only another hierarchy's root: the intermediate's issuer is neither in the file nor trusted.
        using var other = TestPki.Create("Other");
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate), [other.Root], Now);

        var error = Assert.Single(result.Errors);
        Assert.Contains("'CN=Chain Check Intermediate CA' is issued by 'CN=Chain Check Root CA'", error);
        Assert.Contains("append that certificate after 'CN=Chain Check Intermediate CA'", error);
    }

    [Fact]
    public void Check_RootInFileButNotTrusted_SaysRootIsUntrusted()
    {
        using var other = TestPki.Create("Other");
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate, _pki.Root), [other.Root], Now);

        var error = Assert.Single(result.Errors);
        Assert.Contains("ends at root 'CN=Chain Check Root CA', which is not trusted by Gatehouse:Gateway:Tls:TrustedRootsPath", error);
    }

    [Fact]
    public void Check_NoTrustedRootsConfigured_UsesSystemStore_WhichDoesNotHaveTheTestRoot()
    {
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate, _pki.Root), trustedRoots: null, Now);

        var error = Assert.Single(result.Errors);
        Assert.Contains("not trusted by the system trust store", error);
    }

    [Fact]
    public void Check_ExpiredLeaf_Error()
    {
        var later = new DateTimeOffset(_pki.Server.NotAfter.ToUniversalTime()).AddDays(1);

        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate), Roots, later);

        var error = Assert.Single(result.Errors);
        Assert.Contains("'CN=localhost' in /etc/gatehouse/server.pem expired on", error);
    }

    [Fact]
    public void Check_LeafNotYetValid_Error()
    {
        var earlier = new DateTimeOffset(_pki.Server.NotBefore.ToUniversalTime()).AddMinutes(-1);

        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate), Roots, earlier);

        Assert.Contains(result.Errors, e => e.Contains("'CN=localhost' in /etc/gatehouse/server.pem is not valid yet", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ExpiredIntermediate_NamesIt()
    {
        // Past the intermediate's end as well as the leaf's: both are reported.
        var later = new DateTimeOffset(_pki.Intermediate.NotAfter.ToUniversalTime()).AddDays(1);

        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate), Roots, later);

        Assert.Contains(result.Errors, e => e.Contains("from /etc/gatehouse/server.pem: 'CN=Chain Check Intermediate CA' is outside its validity", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_LeafWithoutKey_Error()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(_pki.Server.RawData);

        var result = CertificateChainCheck.Check(File(publicOnly, _pki.Intermediate), Roots, Now);

        Assert.Equal("TLS certificate 'CN=localhost' in /etc/gatehouse/server.pem has no private key.", Assert.Single(result.Errors));
    }

    [Fact]
    public void Check_LeafWithoutServerAuth_Warning()
    {
        var result = CertificateChainCheck.Check(File(_pki.Client, _pki.Intermediate), Roots, Now);

        Assert.Empty(result.Errors);
        Assert.Contains("has an extended key usage without serverAuth", Assert.Single(result.Warnings));
    }

    [Fact]
    public void Check_UnrelatedCertificateInFile_Warning()
    {
        using var other = TestPki.Create("Other");
        var result = CertificateChainCheck.Check(File(_pki.Server, _pki.Intermediate, other.Intermediate), Roots, Now);

        Assert.Empty(result.Errors);
        Assert.Contains("holds 'CN=Other Intermediate CA', which is not in the chain of 'CN=localhost'; it is not sent", Assert.Single(result.Warnings));
    }

    [Fact]
    public void AnalyzeChain_IntermediateFoundOnlyInMachineStore_CountsAsMissing()
    {
        // What a chain looks like when this host's own intermediate store completed it: the client will not have it.
        var errors = new List<string>();
        ChainLink[] links = [new(_pki.Server, 0), new(_pki.Intermediate, 0), new(_pki.Root, 0)];

        CertificateChainCheck.AnalyzeChain(File(_pki.Server), links, [], systemTrust: false, errors, []);

        var error = Assert.Single(errors);
        Assert.Contains("'CN=localhost' is issued by 'CN=Chain Check Intermediate CA'", error);
        Assert.Contains("which is not in /etc/gatehouse/server.pem; this machine has it in its own certificate store, but clients do not", error);
    }

    [Fact]
    public void AnalyzeChain_OtherChainProblem_ReportedWithStatus()
    {
        var errors = new List<string>();
        ChainLink[] links = [new(_pki.Server, 0), new(_pki.Intermediate, 0), new(_pki.Root, 0)];
        X509ChainStatus[] status = [new() { Status = X509ChainStatusFlags.NotSignatureValid, StatusInformation = "bad signature " }];

        CertificateChainCheck.AnalyzeChain(File(_pki.Server, _pki.Intermediate), links, status, systemTrust: false, errors, []);

        Assert.Equal("TLS certificate chain of 'CN=localhost' from /etc/gatehouse/server.pem is invalid: NotSignatureValid (bad signature).", Assert.Single(errors));
    }

    private static ServerCertificate File(X509Certificate2 leaf, params X509Certificate2[] extras)
    {
        var collection = new X509Certificate2Collection();
        foreach (var extra in extras)
        {
            // Public parts only, as read from a certificate file.
            collection.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
        }

        return new ServerCertificate(leaf, collection, "/etc/gatehouse/server.pem", IsPem: true);
    }

    private static string KeyId(X509Certificate2 issuer)
    {
        var ski = issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifier!;
        return string.Join(':', ski.ToLowerInvariant().Chunk(2).Select(c => new string(c)));
    }
}
