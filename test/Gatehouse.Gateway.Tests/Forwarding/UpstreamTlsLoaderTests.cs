using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class UpstreamTlsLoaderTests : IDisposable
{
    private const string Entry = "services[svc].upstreamTls";
    private readonly TestPki _pki = TestPki.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-tls-loader-").FullName;
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    private (UpstreamTlsSettings? Settings, List<ConfigError> Errors) Load(UpstreamTlsConfig config)
    {
        var errors = new List<ConfigError>();
        var settings = UpstreamTlsLoader.Load(config, Entry, "test.yaml", name => _environment.GetValueOrDefault(name), errors);
        return (settings, errors);
    }

    private UpstreamTlsSettings LoadValid(UpstreamTlsConfig config)
    {
        var (settings, errors) = Load(config);
        Assert.Empty(errors);
        return Assert.IsType<UpstreamTlsSettings>(settings);
    }

    private static ConfigError SingleError(List<ConfigError> errors, string field)
    {
        var error = Assert.Single(errors);
        Assert.Equal($"{Entry}.{field}", error.Entry);
        Assert.Equal("test.yaml", error.Source);
        return error;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Load_Null_NoSettingsNoErrors()
    {
        var errors = new List<ConfigError>();

        Assert.Null(UpstreamTlsLoader.Load(null, Entry, "test.yaml", _ => null, errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Load_CaFile_TrustsOnlyItsRoots()
    {
        var settings = LoadValid(new UpstreamTlsConfig { CaFile = _pki.WriteRootPem(_dir) });

        var root = Assert.Single(settings.TrustedRoots!);
        Assert.Equal(_pki.Root.Thumbprint, root.Thumbprint);
        Assert.Null(settings.ClientCertificate);
    }

    [Fact]
    public void Load_MissingCaFile_ErrorNamesField()
    {
        var (settings, errors) = Load(new UpstreamTlsConfig { CaFile = Path.Combine(_dir, "absent.pem") });

        Assert.Null(settings);
        Assert.StartsWith("cannot read '", SingleError(errors, "caFile").Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("just text\n")]
    public void Load_CaFileWithoutPemCertificate_ErrorNamesField(string content)
    {
        var (settings, errors) = Load(new UpstreamTlsConfig { CaFile = Write("bad.pem", content) });

        Assert.Null(settings);
        Assert.Contains("holds no PEM certificate", SingleError(errors, "caFile").Message);
    }

    [Fact]
    public void Load_CaBundleWithOneMalformedBlock_Rejected()
    {
        // The good root first: a lenient reader would keep it and silently drop the broken one.
        var content = _pki.Root.ExportCertificatePem() + "\n-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";

        var (settings, errors) = Load(new UpstreamTlsConfig { CaFile = Write("bad.pem", content) });

        Assert.Null(settings);
        Assert.Contains("holds a malformed PEM certificate", SingleError(errors, "caFile").Message);
    }

    [Fact]
    public void Load_PemPairWithIntermediate_ClientContextCarriesChain()
    {
        var (cert, key) = _pki.WriteClientPem(_dir, withIntermediate: true);

        var settings = LoadValid(new UpstreamTlsConfig { ClientCertFile = cert, ClientKeyFile = key });

        Assert.Equal(_pki.Client.Thumbprint, settings.ClientCertificate!.TargetCertificate.Thumbprint);
        Assert.True(settings.ClientCertificate.TargetCertificate.HasPrivateKey);
        Assert.Contains(settings.ClientCertificate.IntermediateCertificates, c => c.Thumbprint == _pki.Intermediate.Thumbprint);
        Assert.Equal("CN=Gatehouse Test Client", settings.ClientSubject);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_ErrorNamesKeyField()
    {
        var (cert, _) = _pki.WriteClientPem(_dir, withIntermediate: false);
        var serverDir = Directory.CreateDirectory(Path.Combine(_dir, "server")).FullName;
        var (_, serverKey) = _pki.WriteServerPem(serverDir, withIntermediate: false);

        var (settings, errors) = Load(new UpstreamTlsConfig { ClientCertFile = cert, ClientKeyFile = serverKey });

        Assert.Null(settings);
        Assert.Contains("is not the private key of the first certificate", SingleError(errors, "clientKeyFile").Message);
    }

    [Fact]
    public void Load_KeyFileWithoutKey_ErrorNamesKeyField()
    {
        var (cert, _) = _pki.WriteClientPem(_dir, withIntermediate: false);

        var (_, errors) = Load(new UpstreamTlsConfig { ClientCertFile = cert, ClientKeyFile = Write("key.pem", _pki.Root.ExportCertificatePem()) });

        Assert.Contains("holds no PEM private key", SingleError(errors, "clientKeyFile").Message);
    }

    [Fact]
    public void Load_EncryptedKey_ErrorSuggestsPfx()
    {
        var (cert, _) = _pki.WriteClientPem(_dir, withIntermediate: false);
        using var key = _pki.Client.GetECDsaPrivateKey()!;
        var encrypted = key.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));

        var (_, errors) = Load(new UpstreamTlsConfig { ClientCertFile = cert, ClientKeyFile = Write("enc.key", encrypted) });

        Assert.Contains("encrypted key", SingleError(errors, "clientKeyFile").Message);
    }

    [Fact]
    public void Load_CertFileWithoutCertificate_ErrorNamesCertField()
    {
        var (_, key) = _pki.WriteClientPem(_dir, withIntermediate: false);

        var (_, errors) = Load(new UpstreamTlsConfig { ClientCertFile = Write("nothing.pem", "nothing"), ClientKeyFile = key });

        Assert.Contains("holds no PEM certificate", SingleError(errors, "clientCertFile").Message);
    }

    [Fact]
    public void Load_Pfx_PasswordFromEnvironment()
    {
        _environment["PFX_PW"] = "secret-pw";

        var settings = LoadValid(new UpstreamTlsConfig { ClientPfxFile = _pki.WriteClientPfx(_dir, "secret-pw"), ClientPfxPasswordRef = "PFX_PW" });

        Assert.Equal(_pki.Client.Thumbprint, settings.ClientCertificate!.TargetCertificate.Thumbprint);
        Assert.Contains(settings.ClientCertificate.IntermediateCertificates, c => c.Thumbprint == _pki.Intermediate.Thumbprint);
    }

    [Fact]
    public void Load_PfxWrongPassword_ErrorNamesPfxField()
    {
        _environment["PFX_PW"] = "wrong";

        var (_, errors) = Load(new UpstreamTlsConfig { ClientPfxFile = _pki.WriteClientPfx(_dir, "secret-pw"), ClientPfxPasswordRef = "PFX_PW" });

        Assert.Contains("password is wrong", SingleError(errors, "clientPfxFile").Message);
    }

    [Fact]
    public void Load_PfxPasswordVariableUnset_ErrorNamesRefField()
    {
        var (_, errors) = Load(new UpstreamTlsConfig { ClientPfxFile = _pki.WriteClientPfx(_dir, "secret-pw"), ClientPfxPasswordRef = "PFX_PW" });

        Assert.Contains("environment variable 'PFX_PW' is not set", SingleError(errors, "clientPfxPasswordRef").Message);
    }

    [Fact]
    public void Load_SeveralBadFiles_EveryProblemReported()
    {
        var (_, errors) = Load(new UpstreamTlsConfig
        {
            CaFile = Write("bad.pem", "x"),
            ClientCertFile = Path.Combine(_dir, "absent.pem"),
            ClientKeyFile = Path.Combine(_dir, "absent.key"),
        });

        Assert.Equal([$"{Entry}.caFile", $"{Entry}.clientCertFile", $"{Entry}.clientKeyFile"], errors.Select(e => e.Entry).ToArray());
    }

    [Fact]
    public void Settings_SameContentInAnotherFileAndOrder_Equal()
    {
        using var other = TestPki.Create("Other");
        var first = LoadValid(new UpstreamTlsConfig { CaFile = Write("a.pem", _pki.Root.ExportCertificatePem() + "\n" + other.Root.ExportCertificatePem()) });
        var second = LoadValid(new UpstreamTlsConfig { CaFile = Write("b.pem", other.Root.ExportCertificatePem() + "\n" + _pki.Root.ExportCertificatePem()) });

        Assert.NotSame(first.TrustedRoots, second.TrustedRoots);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void Settings_DifferentRootsClientOrServerName_NotEqual()
    {
        using var other = TestPki.Create("Other");
        var otherDir = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        var ca = _pki.WriteRootPem(_dir);
        var (cert, key) = _pki.WriteClientPem(_dir, withIntermediate: true);
        var baseline = LoadValid(new UpstreamTlsConfig { CaFile = ca });

        Assert.NotEqual(baseline, LoadValid(new UpstreamTlsConfig { CaFile = other.WriteRootPem(otherDir) }));
        Assert.NotEqual(baseline, LoadValid(new UpstreamTlsConfig { CaFile = ca, ServerName = "localhost" }));
        Assert.NotEqual(baseline, LoadValid(new UpstreamTlsConfig { CaFile = ca, ClientCertFile = cert, ClientKeyFile = key }));
        Assert.NotEqual(baseline, LoadValid(new UpstreamTlsConfig { InsecureSkipVerify = true }));
        Assert.Equal(baseline, LoadValid(new UpstreamTlsConfig { CaFile = ca }));
    }

    [Fact]
    public void TransportSettings_EqualTlsContent_ShareOnePool()
    {
        using var factory = new UpstreamClientFactory();
        var ca = _pki.WriteRootPem(_dir);

        var first = factory.GetInvoker(UpstreamTransportSettings.For(EffectivePolicy.Default, LoadValid(new UpstreamTlsConfig { CaFile = ca })));
        var second = factory.GetInvoker(UpstreamTransportSettings.For(EffectivePolicy.Default, LoadValid(new UpstreamTlsConfig { CaFile = ca })));
        var plain = factory.GetInvoker(UpstreamTransportSettings.For(EffectivePolicy.Default));

        Assert.Same(first, second);
        Assert.NotSame(first, plain);
        Assert.Equal(2, factory.Count);
    }

    [Fact]
    public void CreateHandler_WithoutTls_NoCallbackNoClientCertificate()
    {
        // Plain services pay nothing: the platform's own validation, no callback per connection.
        using var handler = UpstreamClientFactory.CreateHandler(UpstreamTransportSettings.Default);

        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
        Assert.Null(handler.SslOptions.ClientCertificateContext);
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
