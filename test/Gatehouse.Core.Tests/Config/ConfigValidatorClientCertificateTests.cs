using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorClientCertificateTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static string Yaml(string apiPolicy) => $$"""
        services:
          - name: orders
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis: [ { id: get, path: /x, policy: {{apiPolicy}} } ]
        """;

    [Fact]
    public void Parse_FullClientCertificatePolicy_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml(
            $$"""{ auth: { clientCertificate: { required: true, subjects: ["CN=orders, O=Example"], thumbprints: ["{{Sha.ToUpperInvariant()}}"] } } }"""),
            "test.yaml", ConfigFormat.Yaml);

        var policy = config.Services[0].Apis[0].Policy!.Auth!.ClientCertificate!;
        Assert.True(policy.Required);
        Assert.Equal(["CN=orders, O=Example"], policy.Subjects);
        Assert.Equal(Sha, ConfigValidator.NormalizeThumbprint(policy.Thumbprints![0]));
    }

    [Theory]
    [InlineData("{ auth: { clientCertificate: { subjects: [''] } } }", ".policy.auth.clientCertificate.subjects[0]", "subject is empty")]
    [InlineData("{ auth: { clientCertificate: { subjects: ['CN=a', 'CN=a'] } } }", ".policy.auth.clientCertificate.subjects[1]", "'CN=a' is listed more than once")]
    [InlineData("{ auth: { clientCertificate: { thumbprints: ['abc'] } } }", ".policy.auth.clientCertificate.thumbprints[0]", "'abc' is not a SHA-256 fingerprint")]
    [InlineData("{ auth: { clientCertificate: { thumbprints: ['" + Sha + "', '" + Sha + "'] } } }", ".policy.auth.clientCertificate.thumbprints[1]", "'" + Sha + "' is listed more than once")]
    public void Validate_BadClientCertificatePolicy_ErrorNamesField(string policy, string entrySuffix, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(policy)));

        Assert.EndsWith(entrySuffix, error.Entry);
        Assert.Contains("apis", error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Parse_UnknownClientCertificateField_Rejected()
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ auth: { clientCertificate: { subject: 'CN=a' } } }"));

        Assert.Contains(errors, e => e.Entry.Contains("clientCertificate", StringComparison.Ordinal) && e.Message.Contains("subject", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF", Sha)]
    [InlineData(" " + Sha + " ", Sha)]
    [InlineData(Sha + "00", null)]
    [InlineData("zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null)]
    [InlineData(null, null)]
    public void NormalizeThumbprint_HexWithOptionalColons(string? value, string? expected)
    {
        Assert.Equal(expected, ConfigValidator.NormalizeThumbprint(value));
    }
}
