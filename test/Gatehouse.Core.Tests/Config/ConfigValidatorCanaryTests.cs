using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorCanaryTests
{
    private static GatewayConfig WithServiceCanary(CanaryConfig canary) =>
        ConfigFixtures.Valid().Service(0, s => s with { Policy = new PolicyConfig { Canary = canary } });

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>, string, string> Invalid => new()
    {
        { "canary names no nodes", _ => WithServiceCanary(new CanaryConfig { Percent = 5 }), "services[orders].policy.canary", "give gray (a gray tag) or version" },
        { "canary names both", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Version = "v2", Percent = 5 }), "services[orders].policy.canary", "either gray or version, not both" },
        { "canary gray blank", _ => WithServiceCanary(new CanaryConfig { Gray = " ", Percent = 5 }), "services[orders].policy.canary.gray", "must not be blank" },
        { "canary version with space", _ => WithServiceCanary(new CanaryConfig { Version = "v 2", Percent = 5 }), "services[orders].policy.canary.version", "must not contain spaces" },
        { "percent negative", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = -1 }), "services[orders].policy.canary.percent", "must be between 0 and 100, got -1" },
        { "percent over 100", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 100.5 }), "services[orders].policy.canary.percent", "got 100.5" },
        { "percent NaN", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = double.NaN }), "services[orders].policy.canary.percent", "must be between 0 and 100" },
        { "sticky header without name", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header } }), "services[orders].policy.canary.sticky.name", "name is required when source is header" },
        { "sticky query without name", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Query, Name = "" } }), "services[orders].policy.canary.sticky.name", "name is required when source is query" },
        { "sticky header name invalid", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "x user" } }), "services[orders].policy.canary.sticky.name", "'x user' is not a valid header name" },
        { "sticky client ip with name", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.ClientIp, Name = "x" } }), "services[orders].policy.canary.sticky.name", "name applies only when source is header or query" },
        { "sticky source undefined", _ => WithServiceCanary(new CanaryConfig { Gray = "canary", Percent = 5, Sticky = new CanaryStickyConfig { Source = (CanaryKeySource)9 } }), "services[orders].policy.canary.sticky.source", "not a valid CanaryKeySource value" },
        { "api canary percent", c => c.Api(0, 0, a => a with { Policy = new PolicyConfig { Canary = new CanaryConfig { Gray = "canary", Percent = 101 } } }), "services[orders].apis[get-order].policy.canary.percent", "got 101" },
        { "global canary", c => c with { Global = new PolicyConfig { Canary = new CanaryConfig() } }, "global.canary", "give gray (a gray tag) or version" },
        { "active version blank", c => c.Service(0, s => s with { ActiveVersion = "" }), "services[orders].activeVersion", "must not be blank" },
        { "active version too long", c => c.Service(0, s => s with { ActiveVersion = new string('v', 129) }), "services[orders].activeVersion", "the limit is 128" },
        { "node version with space", c => c.Service(0, s => s with { Nodes = [s.Nodes[0] with { Version = "v 1" }] }), "services[orders].nodes[orders-1].version", "must not contain spaces" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidCanaryOrVersion_ReportsEntryAndMessage(string scenario, Func<GatewayConfig, GatewayConfig> change, string entry, string message)
    {
        var errors = ConfigValidator.Validate(change(ConfigFixtures.Valid()), "test.yaml");

        Assert.True(errors.Any(e => e.Entry == entry && e.Message.Contains(message, StringComparison.Ordinal)),
            $"{scenario}: expected '{entry}: ...{message}...', got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    [Fact]
    public void Validate_ActiveVersionNoNodeHas_Accepted()
    {
        // Nodes of the version may register later; the gateway answers 503 with a clear detail until then.
        var config = ConfigFixtures.Valid().Service(0, s => s with { ActiveVersion = "v9" });
        Assert.Empty(ConfigValidator.Validate(config, null));
    }

    [Fact]
    public void Validate_FullCanaryAndVersions_Accepted()
    {
        var config = ConfigFixtures.Valid().Service(0, s => s with
        {
            ActiveVersion = "v1",
            Nodes = [s.Nodes[0] with { Version = "v1" }, s.Nodes[1] with { Version = "v2" }],
            Policy = new PolicyConfig
            {
                Canary = new CanaryConfig
                {
                    Version = "v2", Percent = 12.5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "X-User-Id" },
                },
            },
        });
        Assert.Empty(ConfigValidator.Validate(config, null));
    }

    [Fact]
    public void Load_YamlCanary_ParsedWithPercentAsNumber()
    {
        var config = ConfigLoader.Parse("""
            services:
              - name: s
                activeVersion: v1
                policy:
                  canary: { version: v2, percent: 7.5, sticky: { source: query, name: uid } }
                nodes:
                  - { address: "http://127.0.0.1:1", version: v1 }
                  - { address: "http://127.0.0.1:2", version: v2 }
            """, "test.yaml", ConfigFormat.Yaml);
        var service = config.Services[0];
        Assert.Equal("v1", service.ActiveVersion);
        Assert.Equal(new CanaryConfig { Version = "v2", Percent = 7.5, Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Query, Name = "uid" } },
            service.Policy!.Canary);
        Assert.Equal("v2", service.Nodes[1].Version);
    }
}
