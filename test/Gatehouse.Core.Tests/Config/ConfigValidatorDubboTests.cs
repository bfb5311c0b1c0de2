using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorDubboTests
{
    private static string Yaml(string api, string node = "dubbo://127.0.0.1:20880") => $$"""
        services:
          - name: calc
            nodes: [ { id: n1, address: "{{node}}" } ]
            apis: [ {{api}} ]
        """;

    private const string Good = "id: add, path: /add, protocol: dubbo, dubbo: { interface: com.example.Calc, method: add, version: 1.0.0, group: blue, "
        + "parameterTypes: [int, int], parameterNames: [a, b], attachHeaders: [x-user-id] }";

    [Fact]
    public void Validate_DubboApi_AcceptedAndParsed()
    {
        var config = ConfigLoader.Parse(Yaml("{ " + Good + " }"), "test.yaml", ConfigFormat.Yaml);

        var api = config.Services[0].Apis[0];
        Assert.Equal(ApiProtocol.Dubbo, api.Protocol);
        Assert.Equal("com.example.Calc", api.Dubbo!.Interface);
        Assert.Equal(["int", "int"], api.Dubbo.ParameterTypes);
        Assert.Equal(["a", "b"], api.Dubbo.ParameterNames!);
        Assert.Equal("blue", api.Dubbo.Group);
    }

    [Theory]
    [InlineData("{ id: a, path: /a, protocol: dubbo }", "services[calc].apis[a].dubbo", "is required with protocol: dubbo")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: 'com..X', method: m } }", "services[calc].apis[a].dubbo.interface", "'com..X' is not a Java interface name")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: 'a-b' } }", "services[calc].apis[a].dubbo.method", "'a-b' is not a Java method name")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, version: '1 0' } }", "services[calc].apis[a].dubbo.version", "'1 0' must not be empty")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, group: '' } }", "services[calc].apis[a].dubbo.group", "'' must not be empty")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, parameterTypes: [int, 'java.lang.String;'] } }", "services[calc].apis[a].dubbo.parameterTypes[1]", "'java.lang.String;' is not a Java type name")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, parameterTypes: [int], parameterNames: [a, b] } }", "services[calc].apis[a].dubbo.parameterNames", "names 2 parameters, but parameterTypes declares 1")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, parameterTypes: [int, int], parameterNames: [a, a] } }", "services[calc].apis[a].dubbo.parameterNames[1]", "parameter name 'a' is listed twice")]
    [InlineData("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, attachHeaders: ['x y'] } }", "services[calc].apis[a].dubbo.attachHeaders[0]", "'x y' is not a header name")]
    [InlineData("{ id: a, path: /a }", "services[calc].apis[a].protocol", "node 'dubbo://127.0.0.1:20880' of this service is a Dubbo provider")]
    public void Validate_BadDubboApi_ErrorNamesField(string api, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(api)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_DubboBlockOnHttpApi_Error()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ id: a, path: /a, dubbo: { interface: com.X, method: m } }", "http://127.0.0.1:8080")));
        Assert.Equal("services[calc].apis[a].dubbo", error.Entry);
        Assert.StartsWith("applies only to APIs with protocol: dubbo", error.Message);
    }

    [Fact]
    public void Validate_DubboApiWithHttpNode_ErrorOnProtocol()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ " + Good + " }", "http://127.0.0.1:8080")));
        Assert.Equal("services[calc].apis[add].protocol", error.Entry);
        Assert.StartsWith("a Dubbo API needs dubbo:// nodes", error.Message);
    }

    [Theory]
    [InlineData("dubbo://127.0.0.1", "has port -1")]
    [InlineData("dubbo://127.0.0.1:20880/com.example.Calc", "must not have a path")]
    [InlineData("thrift://127.0.0.1:1", "must be an absolute http://, https://, dubbo:// or tars:// URI")]
    public void Validate_BadDubboNodeAddress_Error(string address, string message)
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ " + Good + " }", address));
        Assert.Contains(errors, e => e.Entry == "services[calc].nodes[n1].address" && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MisspelledDubboKey_UnknownKeyNamed()
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ id: a, path: /a, protocol: dubbo, dubbo: { interface: com.X, method: m, paramTypes: [int] } }"));
        Assert.Contains(errors, e => e.Message.StartsWith("unknown key 'paramTypes'", StringComparison.Ordinal));
    }
}
