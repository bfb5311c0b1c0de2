using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorEncryptionTests
{
    private static string Yaml(string globalPolicy = "{}", string servicePolicy = "{}", string apiPolicy = "{}") => $$"""
        global: {{globalPolicy}}
        apps: [ { appKey: app-1, secret: "0123456789abcdef", permissions: [orders] } ]
        services:
          - name: orders
            policy: {{servicePolicy}}
            nodes: [ { id: n1, address: "http://127.0.0.1:8080" } ]
            apis: [ { id: get, path: /x, policy: {{apiPolicy}} } ]
        """;

    [Fact]
    public void Validate_FullEncryptionConfig_Accepted()
    {
        var config = ConfigLoader.Parse(Yaml(servicePolicy: "{ encryption: { required: true, maxBodyBytes: 65536, encryptResponse: false } }",
            apiPolicy: "{ encryption: { required: false } }"), "test.yaml", ConfigFormat.Yaml);

        var encryption = config.Services[0].Policy!.Encryption!;
        Assert.Equal((true, 65536, false), (encryption.Required, encryption.MaxBodyBytes, encryption.EncryptResponse));
        Assert.False(config.Services[0].Apis[0].Policy!.Encryption!.Required);
    }

    [Theory]
    [InlineData("{ encryption: { maxBodyBytes: 10 } }", "{}", "{}", "global.encryption.maxBodyBytes", "must be between 64 and 67108864 (64 MiB), got 10")]
    [InlineData("{}", "{ encryption: { maxBodyBytes: 67108865 } }", "{}", "services[orders].policy.encryption.maxBodyBytes", "must be between 64 and")]
    [InlineData("{}", "{}", "{ encryption: { maxBodyBytes: -1 } }", "services[orders].apis[get].policy.encryption.maxBodyBytes", "must be between 64 and")]
    [InlineData("{ encryption: { maxBody: 100 } }", "{}", "{}", "global.encryption.maxBody", "unknown key 'maxBody'")]
    [InlineData("{}", "{}", "{ encryption: { required: maybe } }", "services[orders].apis[get].policy.encryption.required", "expected")]
    [InlineData("{ encryption: { encryptResponse: 3 } }", "{}", "{}", "global.encryption.encryptResponse", "expected")]
    public void Validate_BadEncryptionPolicy_ErrorNamesField(string global, string service, string api, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(global, service, api)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void EffectivePolicyView_Encryption_MergesAsAWhole()
    {
        var service = new PolicyConfig { Encryption = new EncryptionConfig { MaxBodyBytes = 4096 } };
        var api = new PolicyConfig { Encryption = new EncryptionConfig { EncryptResponse = false } };

        var members = EffectivePolicyView.Build(null, service, api);

        var encryption = Assert.Single(members, m => m.Member == "encryption");
        Assert.Equal(("override", "api"), (encryption.Merge, encryption.Source));
        Assert.Equal("""{"encryptResponse":false}""", encryption.Value!.ToJsonString());
        Assert.DoesNotContain(members, m => m.Member.StartsWith("encryption.", StringComparison.Ordinal));
    }

    [Fact]
    public void EffectivePolicyView_NoEncryption_ShowsDefaultOff()
    {
        var encryption = Assert.Single(EffectivePolicyView.Build(null, null, null), m => m.Member == "encryption");

        Assert.Equal(EffectivePolicyView.Default, encryption.Source);
        Assert.Null(encryption.Value);
    }
}
