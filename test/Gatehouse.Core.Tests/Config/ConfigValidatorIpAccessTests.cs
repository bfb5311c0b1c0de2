using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorIpAccessTests
{
    [Fact]
    public void Parse_BadCidrs_ReportedWithListIndex()
    {
        var errors = ConfigFixtures.YamlErrors("""
            global:
              ipAccess: { deny: [ "10.0.0.0/8", "10.0.0.300" ] }
            services:
              - name: a
                policy:
                  ipAccess: { allow: [ "10.0.0.0/8", "::1", "10.0.0.1/8" ] }
                  limits: { maxBodyBytes: -1 }
                apis:
                  - id: x
                    path: /x
                    policy: { ipAccess: { allow: [ "2001:db8::/129" ] } }
            """);

        Assert.Contains(errors, e => e.Entry == "global.ipAccess.deny[1]" && e.Message.Contains("'10.0.0.300' is not a valid IP address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Entry == "services[a].policy.ipAccess.allow[2]" && e.Message.Contains("bits set past the /8 prefix", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Entry == "services[a].policy.limits.maxBodyBytes" && e.Message.Contains("must be 0 or more, got -1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Entry == "services[a].apis[x].policy.ipAccess.allow[0]" && e.Message.Contains("expected 0..128", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Parse_ValidIpAccessAndLimits_Accepted()
    {
        var config = ConfigLoader.Parse("""
            global:
              ipAccess: { deny: [ "192.0.2.0/24" ] }
            services:
              - name: a
                policy:
                  ipAccess: { allow: [ "10.0.0.0/8", "::1", "::ffff:127.0.0.0/104" ] }
                  limits: { maxBodyBytes: 1048576 }
                apis: [ { id: x, path: /x } ]
            """, "t.yaml", ConfigFormat.Yaml);

        Assert.Equal(["192.0.2.0/24"], config.Global!.IpAccess!.Deny);
        Assert.Empty(config.Global.IpAccess.Allow);
        Assert.Equal(1048576, config.Services[0].Policy!.Limits!.MaxBodyBytes);
    }

    [Fact]
    public void EffectivePolicyView_IpAccessStacksEveryLevel_LimitsFieldByField()
    {
        var view = EffectivePolicyView.Build(
            global: new PolicyConfig { IpAccess = new IpAccessConfig { Deny = ["192.0.2.0/24"] }, Limits = new RequestLimitsConfig { MaxBodyBytes = 10 } },
            service: null,
            api: new PolicyConfig { IpAccess = new IpAccessConfig { Allow = ["10.0.0.0/8"] }, Limits = new RequestLimitsConfig { MaxBodyBytes = 5 } });

        var ipAccess = Assert.Single(view, m => m.Member == "ipAccess");
        Assert.Equal("stack", ipAccess.Merge);
        Assert.Equal(["global", "api"], ipAccess.Levels!.Select(l => l.Source));
        Assert.Equal("192.0.2.0/24", ipAccess.Levels![0].Value!["deny"]![0]!.GetValue<string>());
        var maxBody = Assert.Single(view, m => m.Member == "limits.maxBodyBytes");
        Assert.Equal(("override", "api", 5L), (maxBody.Merge, maxBody.Source, maxBody.Value!.GetValue<long>()));
    }
}
