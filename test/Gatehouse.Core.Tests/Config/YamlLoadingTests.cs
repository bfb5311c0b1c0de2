using System.Text.Json.Nodes;
using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class YamlLoadingTests
{
    [Theory]
    [InlineData("~", null)]
    [InlineData("null", null)]
    [InlineData("NULL", null)]
    [InlineData("", null)]
    [InlineData("true", "true")]
    [InlineData("False", "false")]
    [InlineData("TRUE", "true")]
    [InlineData("42", "42")]
    [InlineData("-7", "-7")]
    [InlineData("+3", "3")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1000")]
    [InlineData("abc", "\"abc\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("NaN", "\"NaN\"")]
    [InlineData("Infinity", "\"Infinity\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData("1_000", "\"1_000\"")]
    [InlineData("1,5", "\"1,5\"")]
    public void ConvertPlainScalar_Value_IsTypedLikeTheCoreSchema(string plain, string? expectedJson)
    {
        Assert.Equal(expectedJson, YamlSourceReader.ConvertPlainScalar(plain)?.ToJsonString());
    }

    [Theory]
    [InlineData("loc: \"true\"", "true")]
    [InlineData("loc: 'true'", "true")]
    [InlineData("loc: '42'", "42")]
    [InlineData("loc: \"~\"", "~")]
    [InlineData("loc: !!str 2.5", "2.5")]
    [InlineData("loc: ! 7", "7")]
    [InlineData("loc: |\n          42", "42")]
    [InlineData("loc: dc1", "dc1")]
    [InlineData("loc: ~", null)]
    [InlineData("loc:", null)]
    public void Parse_ScalarWhereStringExpected_KeepsQuotedValuesAsText(string locLine, string? expected)
    {
        var config = ConfigLoader.Parse(NodeYaml(locLine), "t.yaml", ConfigFormat.Yaml);

        Assert.Equal(expected, config.Services[0].Nodes[0].Loc);
    }

    [Fact]
    public void Parse_PlainBooleanWhereStringExpected_AsksForQuotes()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(NodeYaml("loc: true")));

        Assert.Equal("services[a].nodes[h:1].loc", error.Entry);
        Assert.Equal("expected a string, found true; quote the value to make it text (line 6, column 9)", error.Message);
    }

    [Theory]
    [InlineData("online: \"false\"", "expected true or false, found the text \"false\"; remove the quotes")]
    [InlineData("weight: '5'", "expected a whole number, found the text \"5\"; remove the quotes")]
    public void Parse_QuotedLiteralWhereBoolOrNumberExpected_AsksToRemoveQuotes(string line, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(NodeYaml(line)));

        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("online: FALSE", false)]
    [InlineData("online: True", true)]
    public void Parse_BooleanInAnyCase_IsBoolean(string line, bool expected)
    {
        Assert.Equal(expected, ConfigLoader.Parse(NodeYaml(line), "t.yaml", ConfigFormat.Yaml).Services[0].Nodes[0].Online);
    }

    [Fact]
    public void Parse_WeightNotANumber_NamesEntryAndLine()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(NodeYaml("weight: abc")));

        Assert.Equal(new ConfigError("test.yaml", "services[a].nodes[h:1].weight",
            "expected a whole number, found the text \"abc\" (line 6, column 9)"), error);
    }

    [Fact]
    public void Parse_AnchorsAndAliases_AreResolved()
    {
        var yaml = """
            services:
              - name: a
                policy: &fast
                  timeouts: { connectMs: 250 }
                nodes:
                  - &node { address: "http://h:1", loc: dc1 }
              - name: b
                policy: *fast
                nodes: [ *node ]
            """;

        var config = ConfigLoader.Parse(yaml, "t.yaml", ConfigFormat.Yaml);

        Assert.All(config.Services, s => Assert.Equal(250, s.Policy?.Timeouts?.ConnectMs));
        Assert.All(config.Services, s => Assert.Equal("dc1", Assert.Single(s.Nodes).Loc));
    }

    [Fact]
    public void Parse_MetadataValueNotText_NamesTheKey()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(NodeYaml("metadata: { release: 2.1, owner: team-a }")));

        Assert.Equal("services[a].nodes[h:1].metadata[release]", error.Entry);
        Assert.StartsWith("expected a string, found the number 2.1; quote the value to make it text", error.Message);
    }

    [Fact]
    public void Parse_AliasesExpandingExponentially_AreStoppedByTheLimit()
    {
        // "Billion laughs": each level holds ten copies of the one before, 10^9 values in all.
        var yaml = new System.Text.StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i <= 9; i++)
        {
            yaml.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        }

        var error = Assert.Single(ConfigFixtures.YamlErrors(yaml.ToString()));

        Assert.Equal("the YAML expands to more than 1000000 values (aliases nested too deeply?)", error.Message);
    }

    [Fact]
    public void Parse_AliasToItsOwnAncestor_IsRejected()
    {
        var yaml = "global: &g\n  routing: *g\n";

        var errors = ConfigFixtures.YamlErrors(yaml);

        Assert.Contains(errors, e => e.Entry == "global.routing" && e.Message.StartsWith("nesting deeper than 64 levels, or an alias that refers to its own ancestor", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SyntaxError_NamesLineAndColumn()
    {
        var yaml = "services:\n  - name: a\n   nodes: []\n";

        var error = Assert.Single(ConfigFixtures.YamlErrors(yaml));

        Assert.Equal("(document)", error.Entry);
        Assert.StartsWith("YAML syntax error at line 3, column 4: ", error.Message);
    }

    [Fact]
    public void Parse_UnclosedFlowSequence_IsReportedAsSyntaxError()
    {
        // YamlDotNet throws InvalidOperationException here rather than a YamlException.
        var error = Assert.Single(ConfigFixtures.YamlErrors("services: [a\nversion: 2\n"));

        Assert.StartsWith("YAML syntax error near line 1, column", error.Message);
    }

    [Fact]
    public void Parse_DuplicateKey_NamesLine()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors("version: 1\ngroup: a\nversion: 2\n"));

        Assert.Equal("YAML syntax error at line 3, column 1: Duplicate key version", error.Message);
    }

    [Fact]
    public void Parse_TwoDocuments_IsRejected()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors("version: 1\n---\nversion: 2\n"));

        Assert.Equal("the file holds 2 YAML documents (the second starts at line 3); a config file holds exactly one", error.Message);
    }

    [Theory]
    [InlineData("- a\n- b\n")]
    [InlineData("just text\n")]
    public void Parse_TopLevelNotAMapping_IsRejected(string yaml)
    {
        Assert.StartsWith("the config must be a mapping", Assert.Single(ConfigFixtures.YamlErrors(yaml)).Message);
    }

    [Fact]
    public void Parse_UnsupportedTag_IsRejected()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors("group: !!binary aGk=\n"));

        Assert.Equal(new ConfigError("test.yaml", "group", "unsupported YAML tag 'tag:yaml.org,2002:binary'; only !!str is supported (line 1, column 8)"), error);
    }

    [Fact]
    public void Parse_MappingAsKey_IsRejected()
    {
        var errors = ConfigFixtures.YamlErrors("? [a, b]\n: 1\n");

        Assert.Contains(errors, e => e.Entry == "(document)" && e.Message == "a key must be a plain name, not a list or mapping (line 1, column 3)");
    }

    private static string NodeYaml(string nodeLine) => $"""
        services:
          - name: a
            nodes:
              - address: http://h:1
                id:
                {nodeLine}
        """;
}
