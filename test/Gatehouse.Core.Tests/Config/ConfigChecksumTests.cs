using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigChecksumTests
{
    [Fact]
    public void Compute_YamlAndJsonOfSameContent_AreEqual()
    {
        var fromYaml = ConfigLoader.Parse(ConfigFixtures.ValidYaml, "t.yaml", ConfigFormat.Yaml);
        var fromJson = ConfigLoader.Parse(ConfigFixtures.ValidJson, "t.json", ConfigFormat.Json);

        Assert.Equal(ConfigChecksum.Compute(fromYaml), ConfigChecksum.Compute(fromJson));
        Assert.Equal(ConfigChecksum.Compute(ConfigFixtures.Valid()), ConfigChecksum.Compute(fromYaml));
    }

    [Fact]
    public void Compute_KeysInAnotherOrder_IsEqual()
    {
        var a = "version: 1\nservices:\n  - name: a\n    nodes:\n      - { address: 'http://h:1', weight: 5, loc: x }\n";
        var b = "services:\n  - nodes:\n      - { loc: x, weight: 5, address: 'http://h:1' }\n    name: a\nversion: 1\n";

        Assert.Equal(Checksum(a), Checksum(b));
    }

    [Fact]
    public void Compute_DefaultWrittenOutOrLeftOut_IsEqual()
    {
        var implicitDefaults = "services:\n  - name: a\n    nodes: [ { address: 'http://h:1' } ]\n";
        var explicitDefaults = "version: 0\nservices:\n  - name: a\n    nodes: [ { address: 'http://h:1', weight: 100, online: true, protocol: http1 } ]\n    apis: []\n";

        Assert.Equal(Checksum(implicitDefaults), Checksum(explicitDefaults));
    }

    [Fact]
    public void Compute_MetadataAddedInAnotherOrder_IsEqual()
    {
        static GatewayConfig With(params (string Key, string Value)[] metadata) => ConfigFixtures.Valid().Node(0, 0, n => n with
        {
            Metadata = metadata.ToDictionary(p => p.Key, p => p.Value),
        });

        Assert.Equal(ConfigChecksum.Compute(With(("a", "1"), ("b", "2"))), ConfigChecksum.Compute(With(("b", "2"), ("a", "1"))));
    }

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>> ContentChanges => new()
    {
        { "version", c => c with { Version = c.Version + 1 } },
        { "node weight", c => c.Node(0, 0, n => n with { Weight = 99 }) },
        { "api method", c => c.Api(0, 0, a => a with { Methods = ["HEAD"] }) },
        { "optional member set", c => c with { Group = "edge" } },
        { "list order", c => c with { Services = [.. c.Services.Reverse()] } },
        { "text case", c => c.Node(0, 0, n => n with { Loc = "DC1" }) },
        { "enum", c => c.Api(0, 1, a => a with { Match = MatchKind.Prefix }) },
    };

    [Theory]
    [MemberData(nameof(ContentChanges))]
    public void Compute_ContentChanged_Differs(string scenario, Func<GatewayConfig, GatewayConfig> change)
    {
        var original = ConfigFixtures.Valid();

        Assert.True(ConfigChecksum.Compute(original) != ConfigChecksum.Compute(change(original)), scenario);
    }

    [Fact]
    public void Compute_UndefinedEnumValue_Throws()
    {
        // A number in place of a name would make the checksum depend on enum declaration order.
        var config = ConfigFixtures.Valid().Api(0, 0, a => a with { Match = (MatchKind)42 });

        Assert.Throws<System.Text.Json.JsonException>(() => ConfigChecksum.Compute(config));
    }

    [Fact]
    public void Compute_Result_IsSixtyFourLowerCaseHexDigits()
    {
        Assert.Matches("^[0-9a-f]{64}$", ConfigChecksum.Compute(ConfigFixtures.Valid()));
    }

    [Fact]
    public void ToCanonicalJson_SmallConfig_IsTheDocumentedForm()
    {
        // This exact text is the cross-process contract: another implementation must produce it byte for byte.
        var config = new GatewayConfig
        {
            Version = 1,
            Services =
            [
                new ServiceConfig
                {
                    Name = "a",
                    Nodes = [new NodeConfig { Address = "http://h:1", Metadata = new Dictionary<string, string> { ["z"] = "1", ["b"] = "é<" } }],
                },
            ],
        };
        var expected = """{"originMappings":[],"serviceSets":[],"services":[{"apis":[],"name":"a","nodes":[{"address":"http://h:1","gray":[],"metadata":{"b":"\u00E9\u003C","z":"1"},"online":true,"protocol":"http1","source":"manual","weight":100}]}],"version":1}""";

        Assert.Equal(expected, ConfigChecksum.ToCanonicalJson(config));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expected))), ConfigChecksum.Compute(config));
    }

    [Fact]
    public void ToCanonicalJson_ExampleInDocs_MatchesTheDocumentedText()
    {
        // docs/configuration.md shows a YAML example and its canonical JSON; keep the two in step with the code.
        var doc = File.ReadAllText(Path.Combine(ConfigFixtures.RepositoryRoot(), "docs", "configuration.md"));
        var checksumSection = doc[doc.IndexOf("## Checksum", StringComparison.Ordinal)..];
        var yaml = Block(checksumSection, "```yaml\n");
        var json = Block(checksumSection, "```json\n").Trim();

        Assert.Equal(json, ConfigChecksum.ToCanonicalJson(ConfigLoader.Parse(yaml, "docs.yaml", ConfigFormat.Yaml)));
    }

    [Fact]
    public void ToCanonicalJson_CharactersThatNeedEscaping_AreEscapedAsDocumented()
    {
        var config = new GatewayConfig { Group = "<>&'+`\"\\" };

        Assert.Contains("\"group\":\"\\u003C\\u003E\\u0026\\u0027\\u002B\\u0060\\u0022\\\\\"", ConfigChecksum.ToCanonicalJson(config));
    }

    private static string Block(string markdown, string fence)
    {
        var start = markdown.IndexOf(fence, StringComparison.Ordinal) + fence.Length;
        return markdown[start..markdown.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private static string Checksum(string yaml) => ConfigChecksum.Compute(ConfigLoader.Parse(yaml, "t.yaml", ConfigFormat.Yaml));
}
