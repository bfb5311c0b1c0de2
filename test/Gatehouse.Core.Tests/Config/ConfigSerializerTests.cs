using System.Text.Json;
using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigSerializerTests
{
    [Fact]
    public void Full_Fixture_SetsEveryMember()
    {
        // Guards the round-trip test below: a member added to the model must be added to the fixture too.
        ModelAssert.EveryMemberSet(ConfigFixtures.Full());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SerializeThenDeserialize_EveryMemberSet_IsLossless(bool indented)
    {
        var original = ConfigFixtures.Full();

        var json = ConfigSerializer.Serialize(original, indented);
        var copy = ConfigSerializer.Deserialize(json, "admin");

        ModelAssert.DeepEqual(original, copy);
        Assert.Equal(ConfigSerializer.Serialize(original), ConfigSerializer.Serialize(copy));
    }

    [Fact]
    public void SerializeThenDeserialize_Defaults_IsLossless()
    {
        var original = new GatewayConfig { Services = [new ServiceConfig { Name = "a", Nodes = [new NodeConfig { Address = "http://h:1" }] }] };

        var copy = ConfigSerializer.Deserialize(ConfigSerializer.Serialize(original), "admin");

        ModelAssert.DeepEqual(original, copy);
    }

    [Fact]
    public void Serialize_Names_AreCamelCaseAndEnumsCamelCaseStrings()
    {
        var json = ConfigSerializer.Serialize(ConfigFixtures.Full());

        Assert.Contains("\"originMappings\":[", json);
        Assert.Contains("\"responseHeadersMs\":2000", json);
        Assert.Contains("\"kind\":\"consistentHash\"", json);
        Assert.Contains("\"protocol\":\"http2\"", json);
        Assert.Contains("\"source\":\"zooKeeper\"", json);
        Assert.Contains("\"match\":\"regex\"", json);
    }

    [Fact]
    public void Serialize_NullMembers_AreLeftOut()
    {
        var json = ConfigSerializer.Serialize(new GatewayConfig());

        Assert.Equal("""{"version":0,"services":[],"originMappings":[],"serviceSets":[]}""", json);
    }

    [Theory]
    [InlineData("consistentHash")]
    [InlineData("ConsistentHash")]
    [InlineData("CONSISTENTHASH")]
    public void Deserialize_EnumInAnyCase_IsAccepted(string kind)
    {
        var config = ConfigSerializer.Deserialize($$"""{ "global": { "loadBalancer": { "kind": "{{kind}}" } } }""", "t.json");

        Assert.Equal(LoadBalancerKind.ConsistentHash, config.Global?.LoadBalancer?.Kind);
    }

    [Fact]
    public void Deserialize_EnumAsNumber_IsRejectedListingTheNames()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize("""{ "global": { "loadBalancer": { "kind": 2 } } }""", "t.json"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("global.loadBalancer.kind", error.Entry);
        Assert.Equal("expected one of roundRobin, weightedRandom, consistentHash, leastInFlight, found the number 2 (line 1, column 33)", error.Message);
    }

    [Fact]
    public void Deserialize_CommentsAndTrailingCommas_AreAccepted()
    {
        var config = ConfigSerializer.Deserialize("""
            {
              /* block comment */
              "version": 7, // line comment
              "services": [ { "name": "a", }, ],
            }
            """, "t.json");

        Assert.Equal(7, config.Version);
        Assert.Equal("a", Assert.Single(config.Services).Name);
    }

    [Fact]
    public void Deserialize_MisspeltKey_NamesKeyAndSuggestsTheRightOne()
    {
        var json = """
            {
              "services": [ { "name": "orders", "nodes": [
                { "id": "orders-1", "address": "http://127.0.0.1:5101", "wieght": 5 } ] } ]
            }
            """;

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize(json, "gatehouse.json")).Errors);

        Assert.Equal(new ConfigError("gatehouse.json", "services[orders].nodes[orders-1].wieght",
            "unknown key 'wieght' (did you mean 'weight'?) (line 3, column 61)"), error);
    }

    [Theory]
    [InlineData("Version", "unknown key 'Version' (did you mean 'version'?)")]
    [InlineData("colour", "unknown key 'colour'; expected one of: version, group, global, services, originMappings, serviceSets")]
    public void Deserialize_UnknownTopLevelKey_IsRejected(string key, string message)
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize($$"""{ "{{key}}": 1 }""", "t.json")).Errors);

        Assert.Equal(key, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Deserialize_NullWhereModelIsNotNullable_IsRejected()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize("""{ "services": null }""", "t.json")).Errors);

        Assert.Equal("services", error.Entry);
        Assert.StartsWith("expected a list, found nothing (null); remove the key to use the default", error.Message);
    }

    [Fact]
    public void Deserialize_NullWhereModelIsNullable_IsAccepted()
    {
        var config = ConfigSerializer.Deserialize("""{ "group": null, "global": null }""", "t.json");

        Assert.Null(config.Group);
        Assert.Null(config.Global);
    }

    [Fact]
    public void Deserialize_NullListItem_IsRejected()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize("""{ "services": [ null ] }""", "t.json")).Errors);

        Assert.Equal("services[0]", error.Entry);
        Assert.StartsWith("expected a mapping (key: value pairs), found nothing (null)", error.Message);
    }

    [Fact]
    public void Deserialize_InvalidButWellFormed_IsNotValidated()
    {
        // Deserialize checks shape only; ConfigLoader.Parse also validates.
        var json = """{ "version": -5 }""";

        Assert.Equal(-5, ConfigSerializer.Deserialize(json, "t.json").Version);
        Assert.Equal("version", Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json, "t.json", ConfigFormat.Json)).Errors).Entry);
    }

    [Fact]
    public void Deserialize_DuplicateKey_IsRejectedWithBothLines()
    {
        var json = "{\n  \"version\": 1,\n  \"version\": 2\n}";

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize(json, "t.json")).Errors);

        Assert.Equal("version", error.Entry);
        Assert.Equal("duplicate key 'version' (first given at line 2); the second is ignored (line 3, column 3)", error.Message);
    }

    [Fact]
    public void Deserialize_SyntaxError_NamesLineAndColumn()
    {
        var json = "{\n  \"version\": 1\n  \"group\": \"a\"\n}";

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize(json, "t.json")).Errors);

        Assert.Equal(new ConfigError("t.json", "(document)", "JSON syntax error at line 3, column 3: '\"' is invalid after a value. Expected either ',', '}', or ']'."), error);
    }

    [Fact]
    public void Deserialize_SeveralTypeErrors_ReportsEveryOne()
    {
        var json = """
            {
              "version": "one",
              "services": [
                { "name": 5, "nodes": [ { "address": "http://h:1", "weight": 1.5, "online": "yes" }, { "address": "http://h:2", "weight": 3000000000 } ] },
                "billing"
              ],
              "serviceSets": {}
            }
            """;

        var errors = Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize(json, "t.json")).Errors;

        Assert.Equal(
            string.Join("\n",
            [
                "version: expected a whole number, found the text \"one\" (line 2, column 3)",
                "services[0].name: expected a string, found the number 5; quote the value to make it text (line 4, column 7)",
                "services[0].nodes[h:1].weight: expected a whole number, found the number 1.5 (line 4, column 56)",
                "services[0].nodes[h:1].online: expected true or false, found the text \"yes\" (line 4, column 71)",
                "services[0].nodes[h:2].weight: expected a whole number from -2147483648 to 2147483647, found the number 3000000000 (line 4, column 117)",
                "services[1]: expected a mapping (key: value pairs), found the text \"billing\" (line 5, column 5)",
                "serviceSets: expected a list, found a mapping (line 7, column 3)",
            ]),
            string.Join("\n", errors.Select(e => $"{e.Entry}: {e.Message}")));
    }

    [Fact]
    public void Deserialize_TopLevelArray_IsRejected()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigSerializer.Deserialize("[]", "t.json")).Errors);

        Assert.Equal("the config must be a JSON object ({ ... }) at the top level", error.Message);
    }

    [Fact]
    public void Options_AreReadOnly()
    {
        Assert.True(ConfigSerializer.Options.IsReadOnly);
        Assert.Throws<InvalidOperationException>(() => ConfigSerializer.Options.WriteIndented = true);
    }

    [Fact]
    public void Options_UsedDirectly_RejectUnknownKeys()
    {
        // The admin may deserialize with the options alone; they must be as strict as Deserialize.
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<GatewayConfig>("""{ "bogus": 1 }""", ConfigSerializer.Options));
    }
}
