using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorUpstreamTlsTests
{
    private static string Yaml(string tls) => $$"""
        services:
          - name: a
            upstreamTls: {{tls}}
            nodes: [ { id: n1, address: "https://10.0.0.1:8443" } ]
            apis: [ { id: x, path: /x } ]
        """;

    [Fact]
    public void Parse_FullUpstreamTls_Accepted()
    {
        var config = ConfigLoader.Parse(
            Yaml("{ caFile: /etc/gatehouse/ca.pem, clientCertFile: /etc/gatehouse/client.pem, clientKeyFile: /etc/gatehouse/client.key, serverName: orders.internal }"),
            "test.yaml", ConfigFormat.Yaml);

        var tls = config.Services[0].UpstreamTls!;
        Assert.Equal("/etc/gatehouse/ca.pem", tls.CaFile);
        Assert.Equal("/etc/gatehouse/client.pem", tls.ClientCertFile);
        Assert.Equal("/etc/gatehouse/client.key", tls.ClientKeyFile);
        Assert.Equal("orders.internal", tls.ServerName);
        Assert.False(tls.InsecureSkipVerify);
    }

    [Fact]
    public void Parse_PfxWithPasswordRef_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml("{ clientPfxFile: client.pfx, clientPfxPasswordRef: CLIENT_PFX_PASSWORD }"), "test.yaml", ConfigFormat.Yaml);

        Assert.Equal("CLIENT_PFX_PASSWORD", config.Services[0].UpstreamTls!.ClientPfxPasswordRef);
    }

    [Fact]
    public void Parse_UnknownKey_RejectedWithSuggestion()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ caFiles: /ca.pem }")));

        Assert.Equal("services[a].upstreamTls.caFiles", error.Entry);
        Assert.Contains("unknown key 'caFiles'", error.Message);
    }

    [Fact]
    public void Serialize_WithoutUpstreamTls_KeyNotWritten()
    {
        // A config without the block checksums exactly as before the block existed.
        var json = ConfigSerializer.Serialize(new GatewayConfig { Services = [new ServiceConfig { Name = "a" }] });

        Assert.DoesNotContain("upstreamTls", json);
    }

    [Theory]
    [InlineData("{ caFile: '' }", "services[a].upstreamTls.caFile", "file path must not be blank")]
    [InlineData("{ clientCertFile: ' ', clientKeyFile: k.pem }", "services[a].upstreamTls.clientCertFile", "file path must not be blank")]
    [InlineData("{ clientCertFile: c.pem }", "services[a].upstreamTls.clientKeyFile", "clientCertFile needs clientKeyFile")]
    [InlineData("{ clientKeyFile: k.pem }", "services[a].upstreamTls.clientCertFile", "clientKeyFile needs clientCertFile")]
    [InlineData("{ clientPfxPasswordRef: PFX_PW }", "services[a].upstreamTls.clientPfxPasswordRef", "only applies with clientPfxFile")]
    [InlineData("{ clientPfxFile: c.pfx, clientPfxPasswordRef: 'not-a-var' }", "services[a].upstreamTls.clientPfxPasswordRef", "'not-a-var' is not an environment variable name")]
    [InlineData("{ serverName: 'https://orders.internal' }", "services[a].upstreamTls.serverName", "'https://orders.internal' is not a host name")]
    [InlineData("{ serverName: 'orders.internal:443' }", "services[a].upstreamTls.serverName", "'orders.internal:443' is not a host name")]
    [InlineData("{ insecureSkipVerify: true, caFile: ca.pem }", "services[a].upstreamTls.insecureSkipVerify", "turns certificate verification off")]
    [InlineData("{ insecureSkipVerify: true, serverName: orders.internal }", "services[a].upstreamTls.insecureSkipVerify", "turns certificate verification off")]
    public void Validate_BadUpstreamTls_ErrorNamesField(string tls, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(tls)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_PfxAndPemPair_BothGiven_Rejected()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ clientPfxFile: c.pfx, clientCertFile: c.pem, clientKeyFile: k.pem }")));

        Assert.Equal("services[a].upstreamTls.clientPfxFile", error.Entry);
        Assert.Contains("not both", error.Message);
    }

    [Fact]
    public void Validate_InsecureSkipVerifyAlone_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml("{ insecureSkipVerify: true }"), "test.yaml", ConfigFormat.Yaml);

        Assert.True(config.Services[0].UpstreamTls!.InsecureSkipVerify);
    }
}
