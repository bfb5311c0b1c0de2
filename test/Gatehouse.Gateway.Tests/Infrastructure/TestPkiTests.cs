using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Gateway.Tests.Infrastructure;

/// <summary>The test hierarchy itself: a strict client needs the intermediate to reach the root.</summary>
public sealed class TestPkiTests
{
    [Fact]
    public void StrictClient_BuildsChain_OnlyWhenIntermediateIsSent()
    {
        using var pki = TestPki.Create();
        using var withIntermediate = new X509Chain();
        withIntermediate.ChainPolicy.ExtraStore.Add(pki.Intermediate);
        withIntermediate.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        withIntermediate.ChainPolicy.CustomTrustStore.Add(pki.Root);
        withIntermediate.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(withIntermediate.Build(pki.Server));
        Assert.Equal(3, withIntermediate.ChainElements.Count);

        Assert.True(pki.StrictlyTrustsRoot(pki.Server, withIntermediate));
        Assert.False(pki.StrictlyTrustsRoot(pki.Server, sentChain: null));
    }

    [Fact]
    public void PemFiles_LoadBackWithKey()
    {
        using var pki = TestPki.Create();
        var dir = Directory.CreateTempSubdirectory("gatehouse-pki-").FullName;
        try
        {
            var (cert, key) = pki.WriteServerPem(dir, withIntermediate: true);
            using var loaded = X509Certificate2.CreateFromPemFile(cert, key);
            Assert.True(loaded.HasPrivateKey);
            Assert.Equal(pki.Server.Thumbprint, loaded.Thumbprint);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(cert);
            Assert.Equal(2, all.Count);
            var pfx = pki.WriteServerPfx(dir, "pw", withIntermediate: false);
            using var fromPfx = X509CertificateLoader.LoadPkcs12FromFile(pfx, "pw");
            Assert.True(fromPfx.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
