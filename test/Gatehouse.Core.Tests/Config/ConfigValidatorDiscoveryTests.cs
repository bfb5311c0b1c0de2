using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorDiscoveryTests
{
    private const string Api = "{ id: get, path: /get, protocol: dubbo, dubbo: { interface: com.example.OrderService, method: get, parameterTypes: [long] } }";

    private static string Yaml(string discovery, string api = Api, string nodes = "[]") => $$"""
        services:
          - name: orders
            discovery: {{discovery}}
            nodes: {{nodes}}
            apis: [ {{api}} ]
        """;

    [Fact]
    public void Load_DubboDiscovery_ParsedAlongsideStaticNodes()
    {
        var config = ConfigLoader.Parse(Yaml("{ dubbo: { interface: com.example.OrderService, version: \"1.0.0\", group: east } }",
            nodes: "[ { id: p1, address: \"dubbo://10.0.0.5:20880\" } ]"), "test.yaml", ConfigFormat.Yaml);

        var dubbo = config.Services[0].Discovery!.Dubbo!;
        Assert.Equal("com.example.OrderService", dubbo.Interface);
        Assert.Equal("1.0.0", dubbo.Version);
        Assert.Equal("east", dubbo.Group);
        Assert.Equal("dubbo://10.0.0.5:20880", Assert.Single(config.Services[0].Nodes).Address);
    }

    [Theory]
    [InlineData("{ dubbo: { interface: com.example.OrderService } }")]
    [InlineData("{ dubbo: { interface: com.example.OrderService, version: '*', group: '*' } }")]
    [InlineData("{ dubbo: { interface: com.example.OrderService, version: 2.0.0, group: 'east,west' } }")]
    public void Validate_GoodDiscovery_NoErrors(string discovery)
    {
        var config = ConfigLoader.Parse(Yaml(discovery), "test.yaml", ConfigFormat.Yaml);

        Assert.Empty(ConfigValidator.Validate(config, "test.yaml"));
    }

    [Theory]
    [InlineData("{ }", "services[orders].discovery", "names no registry")]
    [InlineData("{ dubbo: { version: 1.0.0 } }", "services[orders].discovery.dubbo.interface", "'' is not a Java interface name")]
    [InlineData("{ dubbo: { interface: 'com.example.Order Service' } }", "services[orders].discovery.dubbo.interface", "'com.example.Order Service' is not a Java interface name")]
    [InlineData("{ dubbo: { interface: com.X, version: '1.0, 2.0' } }", "services[orders].discovery.dubbo.version", "'1.0, 2.0' must not be empty or contain spaces or commas")]
    [InlineData("{ dubbo: { interface: com.X, version: '' } }", "services[orders].discovery.dubbo.version", "'' must not be empty")]
    [InlineData("{ dubbo: { interface: com.X, group: 'east,,west' } }", "services[orders].discovery.dubbo.group", "'east,,west' must be '*' or one or more groups")]
    [InlineData("{ dubbo: { interface: com.X, group: 'east west' } }", "services[orders].discovery.dubbo.group", "'east west' must be '*'")]
    [InlineData("{ dubbo: { interface: com.X, interfaces: [] } }", "services[orders].discovery.dubbo.interfaces", "unknown key 'interfaces'")]
    public void Validate_BadDiscovery_ErrorNamesField(string discovery, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(discovery)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_DiscoveryWithHttpApi_Error()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ dubbo: { interface: com.X } }", api: "{ id: web, path: /web }")));

        Assert.Equal("services[orders].discovery.dubbo", error.Entry);
        Assert.StartsWith("discovers Dubbo providers, but API 'web' of this service is not protocol: dubbo", error.Message);
    }

    [Fact]
    public void Serialize_Discovery_RoundTripsAndAbsentBlockLeavesJsonAsBefore()
    {
        var config = ConfigLoader.Parse(Yaml("{ dubbo: { interface: com.X, version: '*', group: east } }"), "test.yaml", ConfigFormat.Yaml);

        var json = ConfigSerializer.Serialize(config);
        Assert.Contains("\"discovery\":{\"dubbo\":{\"interface\":\"com.X\",\"version\":\"*\",\"group\":\"east\"}}", json, StringComparison.Ordinal);
        Assert.Equal(config.Services[0].Discovery, ConfigSerializer.Deserialize(json, "test.json").Services[0].Discovery);
        Assert.DoesNotContain("discovery", ConfigSerializer.Serialize(config with { Services = [config.Services[0] with { Discovery = null }] }),
            StringComparison.Ordinal);
    }
}
