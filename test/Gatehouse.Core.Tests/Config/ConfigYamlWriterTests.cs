using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

/// <summary>The YAML form of an export: what <see cref="ConfigLoader"/> reads back to the same config and checksum.</summary>
public class ConfigYamlWriterTests
{
    [Fact]
    public void Write_SampleConfig_LoadsBackToTheSameChecksum()
    {
        var sample = ConfigLoader.LoadFile(Path.Combine(ConfigFixtures.RepositoryRoot(), "samples", "gatehouse.yaml")) with { Version = 7 };

        var yaml = ConfigYamlWriter.Write(sample);
        var read = ConfigLoader.Parse(yaml, "export.yaml", ConfigFormat.Yaml);

        Assert.Equal(ConfigChecksum.Compute(sample), ConfigChecksum.Compute(read));
        Assert.Equal(ConfigSerializer.Serialize(sample), ConfigSerializer.Serialize(read));
    }

    [Fact]
    public void Write_EveryMemberSet_ReadsBackEqual()
    {
        // Full() is not a valid config (it sets both prefixes of a mapping), so it is read without the validator.
        var original = ConfigFixtures.Full();

        var yaml = ConfigYamlWriter.Write(original);
        var errors = new List<ConfigError>();
        var document = YamlSourceReader.Read(yaml, "export.yaml", errors);
        var read = ConfigSerializer.Read(document!, "export.yaml", errors);

        Assert.Empty(errors);
        Assert.Equal(ConfigSerializer.Serialize(original), ConfigSerializer.Serialize(read!));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("FALSE")]
    [InlineData("10")]
    [InlineData("-3")]
    [InlineData("2.5")]
    [InlineData("1e5")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData(" leading space")]
    [InlineData("trailing space ")]
    [InlineData("a: b")]
    [InlineData("# not a comment")]
    [InlineData("- not a list")]
    [InlineData("two\nlines")]
    [InlineData("quote \" and 'apostrophe'")]
    [InlineData("ünïcödé 漢字")]
    [InlineData("*alias")]
    [InlineData("[1, 2]")]
    [InlineData("a long value of many words that no line width may fold, a long value of many words that no line width may fold, "
        + "a long value of many words that no line width may fold, a long value of many words that no line width may fold")]
    public void Write_StringsThatLookLikeOtherThings_StayStrings(string text)
    {
        var orders = ConfigFixtures.Valid().Services[0];
        var node = orders.Nodes[0] with { Metadata = new Dictionary<string, string> { ["note"] = text, [text.Length == 0 ? "k" : text] = "v" } };
        var config = ConfigFixtures.Valid() with { Services = [orders with { Nodes = [node] }], OriginMappings = [], ServiceSets = [] };

        var yaml = ConfigYamlWriter.Write(config);
        var errors = new List<ConfigError>();
        var read = ConfigSerializer.Read(YamlSourceReader.Read(yaml, "export.yaml", errors)!, "export.yaml", errors);

        Assert.Empty(errors);
        Assert.Equal(text, read!.Services[0].Nodes[0].Metadata["note"]);
        Assert.Equal(ConfigSerializer.Serialize(config), ConfigSerializer.Serialize(read));
    }

    [Fact]
    public void Write_HeaderComment_IsACommentTheLoaderIgnores()
    {
        var config = ConfigFixtures.Valid();

        var yaml = ConfigYamlWriter.Write(config, "group default, version 3\nexported by the admin");

        Assert.StartsWith("# group default, version 3\n# exported by the admin\n", yaml, StringComparison.Ordinal);
        Assert.Equal(ConfigChecksum.Compute(config), ConfigChecksum.Compute(ConfigLoader.Parse(yaml, "export.yaml", ConfigFormat.Yaml)));
    }

    [Fact]
    public void Write_LongValue_StaysOnOneLine()
    {
        var value = string.Join(' ', Enumerable.Repeat("word", 100));
        var orders = ConfigFixtures.Valid().Services[0];
        var config = ConfigFixtures.Valid() with
        {
            Services = [orders with { Nodes = [orders.Nodes[0] with { Metadata = new Dictionary<string, string> { ["note"] = value } }] }],
        };

        var yaml = ConfigYamlWriter.Write(config);

        Assert.Contains($"note: {value}\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ReadsLikeAHandWrittenFile()
    {
        var yaml = ConfigYamlWriter.Write(ConfigFixtures.Valid());

        // Plain where plain is safe: the export is meant to be edited and kept in version control.
        Assert.Contains("- name: orders", yaml, StringComparison.Ordinal);
        Assert.Contains("path: /orders/{id}", yaml, StringComparison.Ordinal);
        Assert.Contains("address: http://127.0.0.1:5101", yaml, StringComparison.Ordinal);
        Assert.Contains("version: 3", yaml, StringComparison.Ordinal);
    }
}
