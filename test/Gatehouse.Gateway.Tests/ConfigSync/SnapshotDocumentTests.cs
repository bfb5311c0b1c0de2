using System.Text.Json.Nodes;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.ConfigSync;

namespace Gatehouse.Gateway.Tests.ConfigSync;

public class SnapshotDocumentTests
{
    private static readonly GatewayConfig Config = new()
    {
        Version = 4,
        Services = [new ServiceConfig { Name = "s", Nodes = [new NodeConfig { Address = "http://10.0.0.1:80" }], Apis = [new ApiConfig { Id = "a", Path = "/**" }] }],
    };

    private static JsonObject Document() => new()
    {
        ["group"] = "default",
        ["version"] = 4,
        ["checksum"] = ConfigChecksum.Compute(Config),
        ["config"] = JsonNode.Parse(ConfigSerializer.Serialize(Config)),
    };

    [Fact]
    public void Parse_ValidDocument_ReturnsConfigAndIdentity()
    {
        var document = SnapshotDocument.Parse(Document().ToJsonString(), "DEFAULT", "test");
        Assert.Equal(4, document.Version);
        Assert.Equal(ConfigSerializer.Serialize(Config), ConfigSerializer.Serialize(document.Config));
        Assert.Equal(ConfigChecksum.Compute(Config), document.Checksum);
    }

    [Fact]
    public void ToJson_RoundTrips()
    {
        var document = SnapshotDocument.Parse(Document().ToJsonString(), "default", "test");
        var again = SnapshotDocument.Parse(document.ToJson(), "default", "again");
        Assert.Equal((document.Group, document.Version, document.Checksum), (again.Group, again.Version, again.Checksum));
        Assert.Equal(ConfigSerializer.Serialize(document.Config), ConfigSerializer.Serialize(again.Config));
    }

    [Theory]
    [InlineData("checksum", "\"0000\"", "checksum mismatch")]
    [InlineData("group", "\"other\"", "group 'other'")]
    [InlineData("version", "5", "differs from version 5")]
    [InlineData("config", "{\"services\": 3}", "not a valid config")]
    [InlineData("config", "null", "'config' is missing")]
    [InlineData("version", "\"4\"", "'version' is missing or not an integer")]
    [InlineData("group", "\"\"", "'group' is missing")]
    public void Parse_Flawed_ThrowsSayingWhy(string member, string json, string expected)
    {
        var document = Document();
        document[member] = JsonNode.Parse(json);
        var ex = Assert.Throws<InvalidDataException>(() => SnapshotDocument.Parse(document.ToJsonString(), "default", "src"));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("src:", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1]")]
    [InlineData("{\"group\": \"default\", \"vers")]
    public void Parse_NotADocument_Throws(string json) =>
        Assert.Throws<InvalidDataException>(() => SnapshotDocument.Parse(json, "default", "src"));
}
