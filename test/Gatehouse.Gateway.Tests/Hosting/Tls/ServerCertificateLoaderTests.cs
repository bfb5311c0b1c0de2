using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>Loading PKCS#12 files and PEM pairs, and the messages a bad file or setting gets.</summary>
public sealed class ServerCertificateLoaderTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create("Loader");
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-tls-load-").FullName;

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Load_PemPairWithChain_LeafHasKey_IntermediateIsExtra()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);

        var loaded = ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = cert, KeyPemPath = key });

        Assert.True(loaded.IsPem);
        Assert.True(loaded.Leaf.HasPrivateKey);
        Assert.Equal(_pki.Server.Thumbprint, loaded.Leaf.Thumbprint);
        Assert.Equal(_pki.Intermediate.Thumbprint, Assert.Single(loaded.Extras).Thumbprint);
    }

    [Fact]
    public void Load_PemWithKeyInSameFile_NoKeyPath()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var combined = Path.Combine(_dir, "combined.pem");
        File.WriteAllText(combined, File.ReadAllText(cert) + File.ReadAllText(key));

        var loaded = ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = combined });

        Assert.True(loaded.Leaf.HasPrivateKey);
        Assert.Single(loaded.Extras);
    }

    [Fact]
    public void Load_EncryptedPemKey_WithPassword()
    {
        var (cert, _) = _pki.WriteServerPem(_dir, withIntermediate: false);
        var keyPath = Path.Combine(_dir, "encrypted.key");
        using (var key = _pki.Server.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(keyPath, key.ExportEncryptedPkcs8PrivateKeyPem("s3cret",
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        }

        var loaded = ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = cert, KeyPemPath = keyPath, Password = "s3cret" });
        Assert.True(loaded.Leaf.HasPrivateKey);

        var error = Assert.Throws<TlsConfigurationException>(() =>
            ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = cert, KeyPemPath = keyPath }));
        Assert.Contains($"TLS private key {keyPath} (Gatehouse:Gateway:Tls:KeyPemPath) is encrypted", error.Message);
    }

    [Fact]
    public void Load_Pkcs12WithChain_LeafIsTheOneWithKey()
    {
        var pfx = _pki.WriteServerPfx(_dir, "pw", withIntermediate: true);

        var loaded = ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePath = pfx, Password = "pw" });

        Assert.False(loaded.IsPem);
        Assert.Equal(_pki.Server.Thumbprint, loaded.Leaf.Thumbprint);
        Assert.True(loaded.Leaf.HasPrivateKey);
        Assert.Equal(_pki.Intermediate.Thumbprint, Assert.Single(loaded.Extras).Thumbprint);
    }

    [Fact]
    public void Load_Pkcs12WrongPassword_NamesFileAndPasswordKey()
    {
        var pfx = _pki.WriteServerPfx(_dir, "pw", withIntermediate: true);

        var error = Assert.Throws<TlsConfigurationException>(() =>
            ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePath = pfx, Password = "wrong" }));

        Assert.StartsWith($"TLS certificate {pfx} (Gatehouse:Gateway:Tls:CertificatePath) cannot be opened: the password (Gatehouse:Gateway:Tls:Password) is wrong", error.Message);
    }

    [Theory]
    [InlineData("pfx")]
    [InlineData("pem")]
    [InlineData("key")]
    public void Load_MissingFile_NamesFileAndKey(string which)
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var missing = Path.Combine(_dir, "nope.file");
        var options = which switch
        {
            "pfx" => new GatewayTlsOptions { CertificatePath = missing },
            "pem" => new GatewayTlsOptions { CertificatePemPath = missing, KeyPemPath = key },
            _ => new GatewayTlsOptions { CertificatePemPath = cert, KeyPemPath = missing },
        };
        var configKey = which switch { "pfx" => "CertificatePath", "pem" => "CertificatePemPath", _ => "KeyPemPath" };

        var error = Assert.Throws<TlsConfigurationException>(() => ServerCertificateLoader.Load(options));

        Assert.StartsWith($"TLS file {missing} (Gatehouse:Gateway:Tls:{configKey}) does not exist", error.Message);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_SaysKeyDoesNotBelongToLeaf()
    {
        var (cert, _) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var (_, clientKey) = _pki.WriteClientPem(_dir, withIntermediate: false);

        var error = Assert.Throws<TlsConfigurationException>(() =>
            ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = cert, KeyPemPath = clientKey }));

        Assert.StartsWith($"TLS private key {clientKey} (Gatehouse:Gateway:Tls:KeyPemPath) does not belong to 'CN=localhost'", error.Message);
    }

    [Fact]
    public void Load_IntermediateFirst_SaysLeafMustComeFirst()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: false);
        var reversed = Path.Combine(_dir, "reversed.pem");
        File.WriteAllText(reversed, _pki.Intermediate.ExportCertificatePem() + "\n" + File.ReadAllText(cert));

        var error = Assert.Throws<TlsConfigurationException>(() =>
            ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = reversed, KeyPemPath = key }));

        Assert.Contains("does not belong to 'CN=Loader Intermediate CA', the first certificate", error.Message);
        Assert.Contains("the leaf must come first", error.Message);
    }

    [Fact]
    public void Load_NotPem_Says()
    {
        var (_, key) = _pki.WriteServerPem(_dir, withIntermediate: false);
        var junk = Path.Combine(_dir, "junk.pem");
        File.WriteAllText(junk, "hello");

        var error = Assert.Throws<TlsConfigurationException>(() =>
            ServerCertificateLoader.Load(new GatewayTlsOptions { CertificatePemPath = junk, KeyPemPath = key }));

        Assert.Contains("contains no '-----BEGIN CERTIFICATE-----' block", error.Message);
    }

    public static TheoryData<GatewayOptions, string?> ValidatorCases => new()
    {
        { new GatewayOptions(), null },
        { new GatewayOptions { Tls = { CertificatePemPath = "a.pem" } }, null },
        { new GatewayOptions { Tls = { CertificatePath = "a.pfx", CertificatePemPath = "a.pem" } }, "are both set" },
        { new GatewayOptions { Tls = { KeyPemPath = "a.key" } }, "Gatehouse:Gateway:Tls:KeyPemPath is set without Gatehouse:Gateway:Tls:CertificatePemPath" },
        { new GatewayOptions { Tls = { DisablePlain = true } }, "Gatehouse:Gateway:Tls:DisablePlain is true but no certificate is configured" },
        { new GatewayOptions { Tls = { CertificatePath = "a.pfx", Port = 0 } }, "Gatehouse:Gateway:Tls:Port must be between 1 and 65535 (was 0)" },
        { new GatewayOptions { ControlPort = 9443, Tls = { CertificatePath = "a.pfx", Port = 9443 } }, "must differ from Gatehouse:Gateway:ControlPort" },
        { new GatewayOptions { Port = 443, Tls = { CertificatePath = "a.pfx", Port = 443 } }, "must differ from Gatehouse:Gateway:Port (both 443) unless" },
        { new GatewayOptions { Port = 443, Tls = { CertificatePath = "a.pfx", Port = 443, DisablePlain = true } }, null },
        { new GatewayOptions { Tls = { ReloadInterval = TimeSpan.FromSeconds(-1) } }, "Gatehouse:Gateway:Tls:ReloadInterval must be 00:00:00 (off) or positive" },
        { new GatewayOptions { Tls = { CertificatePath = "a.pfx", ClientCertificates = TlsClientCertificateMode.Require, ClientCaPath = "ca.pem" } }, null },
        { new GatewayOptions { Tls = { CertificatePath = "a.pfx", ClientCertificates = TlsClientCertificateMode.Optional } }, "Gatehouse:Gateway:Tls:ClientCertificates is 'optional' but Gatehouse:Gateway:Tls:ClientCaPath is not set" },
        { new GatewayOptions { Tls = { CertificatePath = "a.pfx", ClientCaPath = "ca.pem" } }, "Gatehouse:Gateway:Tls:ClientCaPath is set but Gatehouse:Gateway:Tls:ClientCertificates is 'none'" },
        { new GatewayOptions { Tls = { ClientCertificates = TlsClientCertificateMode.Require, ClientCaPath = "ca.pem" } }, "Gatehouse:Gateway:Tls:ClientCertificates is 'require' but no TLS certificate is configured" },
    };

    [Theory]
    [MemberData(nameof(ValidatorCases))]
    public void Validator_NamesTheKey(GatewayOptions options, string? expected)
    {
        var result = new GatewayTlsOptionsValidator().Validate(null, options);

        if (expected is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.Contains(expected, result.FailureMessage);
        }
    }
}
