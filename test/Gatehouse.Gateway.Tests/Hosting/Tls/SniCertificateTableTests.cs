using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Hosting.Tls;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

public sealed class SniCertificateTableTests
{
    private static SniCertificateTable<string> Table(List<(string Host, int Entry)>? shadowed = null) =>
        SniCertificateTable<string>.Build(
            [
                (["localhost"], "default"),
                (["api.example.com", "*.example.com"], "api-and-wildcard"),
                (["www.example.com"], "www"),
                (["*.eu.example.com", "API.example.com"], "eu"),
            ],
            (host, entry) => shadowed?.Add((host, entry)));

    [Theory]
    [InlineData("api.example.com", "api-and-wildcard")]
    [InlineData("www.example.com", "www")]
    [InlineData("WWW.Example.COM", "www")]
    [InlineData("shop.example.com", "api-and-wildcard")]
    [InlineData("a.eu.example.com", "eu")]
    [InlineData("eu.example.com", "api-and-wildcard")]
    [InlineData("a.b.eu.example.com", "default")]
    [InlineData("example.com", "default")]
    [InlineData("a.b.example.com", "default")]
    [InlineData(".example.com", "default")]
    [InlineData("unknown.test", "default")]
    [InlineData("", "default")]
    [InlineData(null, "default")]
    public void Select_ExactThenOneLabelWildcardThenDefault(string? serverName, string expected)
    {
        Assert.Equal(expected, Table().Select(serverName));
    }

    [Fact]
    public void Build_NameClaimedTwice_EarlierCertificateKeepsIt()
    {
        var shadowed = new List<(string, int)>();
        var table = Table(shadowed);

        Assert.Equal("api-and-wildcard", table.Select("api.example.com"));
        Assert.Equal([("api.example.com", 3)], shadowed);
    }

    [Fact]
    public void Select_AllocatesNothing()
    {
        var table = Table();

        Assert.Equal(0, Gatehouse.Testing.Allocations.Of(() =>
        {
            table.Select("shop.example.com");
            table.Select("www.example.com");
            table.Select("unknown.test");
        }));
    }

    public static TheoryData<GatewayOptions, string?> ListValidatorCases => new()
    {
        { Options(new TlsCertificateOptions { CertificatePemPath = "a.pem", Hosts = ["a.example.com", "*.example.com"] }), null },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx" }), null },
        { Options(new TlsCertificateOptions()), "Gatehouse:Gateway:Tls:Certificates:0 has no certificate" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", CertificatePemPath = "a.pem" }), "Gatehouse:Gateway:Tls:Certificates:0:CertificatePath (PKCS#12) and Gatehouse:Gateway:Tls:Certificates:0:CertificatePemPath (PEM) are both set" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", KeyPemPath = "a.key" }), "Gatehouse:Gateway:Tls:Certificates:0:KeyPemPath is set without" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", Hosts = ["a.*.com"] }), "Gatehouse:Gateway:Tls:Certificates:0:Hosts:0 'a.*.com' is not a host name: a wildcard" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", Hosts = ["ok.com", "10.0.0.1"] }), "Gatehouse:Gateway:Tls:Certificates:0:Hosts:1 '10.0.0.1' is an IP address" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", Hosts = ["a b.com"] }), "is not a host name (character ' '" },
        { Options(new TlsCertificateOptions { CertificatePath = "a.pfx", Hosts = [""] }), "Gatehouse:Gateway:Tls:Certificates:0:Hosts:0 '' is empty" },
        {
            Options(new TlsCertificateOptions { CertificatePath = "a.pfx", Hosts = ["a.example.com"] }, new TlsCertificateOptions { CertificatePath = "b.pfx", Hosts = ["A.example.com."] }),
            "Gatehouse:Gateway:Tls:Certificates:1:Hosts:0 'a.example.com' is also listed by Gatehouse:Gateway:Tls:Certificates:0"
        },
        { new GatewayOptions { Tls = { DisablePlain = true, Certificates = [new TlsCertificateOptions { CertificatePath = "a.pfx" }] } }, null },
    };

    [Theory]
    [MemberData(nameof(ListValidatorCases))]
    public void Validator_CertificateList_NamesTheKey(GatewayOptions options, string? expected)
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

    private static GatewayOptions Options(params TlsCertificateOptions[] certificates) => new() { Tls = { Certificates = [.. certificates] } };
}
