using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(ConfigFormat.Yaml)]
    [InlineData(ConfigFormat.Json)]
    public void Parse_ValidText_ReturnsTheConfig(ConfigFormat format)
    {
        var text = format == ConfigFormat.Yaml ? ConfigFixtures.ValidYaml : ConfigFixtures.ValidJson;

        var config = ConfigLoader.Parse(text, "t", format);

        ModelAssert.DeepEqual(ConfigFixtures.Valid(), config);
    }

    [Fact]
    public void Parse_JsonTypeError_NamesEntryAndLine()
    {
        var json = """
            {
              "services": [
                { "name": "orders",
                  "nodes": [ { "id": "orders-1", "address": "http://127.0.0.1:5101",
                               "weight": "abc" } ] }
              ]
            }
            """;

        var error = Assert.Single(ConfigFixtures.JsonErrors(json));

        Assert.Equal(new ConfigError("test.json", "services[orders].nodes[orders-1].weight",
            "expected a whole number, found the text \"abc\" (line 5, column 20)"), error);
    }

    [Fact]
    public void ParsePolicy_Yaml_ReadsThePolicy_AndErrorsAreGlobalEntriesWithTheLinesOfTheText()
    {
        var policy = ConfigLoader.ParsePolicy("loadBalancer:\n  kind: leastInFlight\ntimeouts:\n  connectMs: 700\n", "policy", ConfigFormat.Yaml);
        Assert.Equal(LoadBalancerKind.LeastInFlight, policy.LoadBalancer?.Kind);
        Assert.Equal(700, policy.Timeouts?.ConnectMs);

        var ex = Assert.Throws<ConfigException>(() =>
            ConfigLoader.ParsePolicy("timeouts:\n  connectMs: -5\n  colour: red\n", "policy", ConfigFormat.Yaml));
        Assert.Contains(ex.Errors, e => e.Entry == "global.timeouts.connectMs" && e.Message.EndsWith("(line 2, column 3)", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Entry == "global.timeouts.colour" && e.Message.Contains("line 3", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ConfigFormat.Yaml, "")]
    [InlineData(ConfigFormat.Yaml, "  \n\n")]
    [InlineData(ConfigFormat.Yaml, "# nothing but a comment\n")]
    [InlineData(ConfigFormat.Yaml, "---\n")]
    [InlineData(ConfigFormat.Json, "")]
    [InlineData(ConfigFormat.Json, " \n ")]
    [InlineData(ConfigFormat.Json, "// nothing but a comment\n")]
    public void Parse_EmptyText_IsRejected(ConfigFormat format, string text)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, "t", format));

        Assert.StartsWith("the file is empty", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Parse_ProblemsOfEveryKind_AreAllReportedInOneException()
    {
        var yaml = """
            version: -1
            services:
              - name: orders
                colour: blue
                nodes:
                  - id: orders-1
                    address: 127.0.0.1:5101
                    weight: heavy
                apis:
                  - id: get-order
                    path: orders/{id}
            originMappings:
              - pathPrefix: /billing
                service: billing
            """;

        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "gatehouse.yaml", ConfigFormat.Yaml));

        Assert.Equal(
            string.Join("\n",
            [
                "gatehouse.yaml: services[orders].colour: unknown key 'colour'; expected one of: name, group, policy, activeVersion, healthCheck, slowStartMs, nodes, apis, discovery, upstreamTls (line 4, column 5)",
                "gatehouse.yaml: services[orders].nodes[orders-1].weight: expected a whole number, found the text \"heavy\" (line 8, column 9)",
                "gatehouse.yaml: version: must be 0 or greater, got -1 (line 1, column 1)",
                "gatehouse.yaml: services[orders].nodes[orders-1].address: address '127.0.0.1:5101' must be an absolute http://, https://, dubbo:// or tars:// URI with a host, e.g. http://10.0.0.5:8080 (line 7, column 9)",
                "gatehouse.yaml: services[orders].apis[get-order].path: path 'orders/{id}' must start with '/' (line 11, column 9)",
                "gatehouse.yaml: originMappings[0].service: service 'billing' is not defined in services (line 14, column 5)",
            ]),
            string.Join("\n", ex.Errors));
        Assert.StartsWith("Invalid config (6 problems):", ex.Message);
    }

    [Fact]
    public void Parse_ValueRejectedByShapeCheck_IsNotReportedAgainByValidation()
    {
        // The bad address is dropped, so the validator sees an empty one; "address is required" would be noise.
        var yaml = "services:\n  - name: a\n    nodes:\n      - id: n1\n        address: 8080\n";

        var error = Assert.Single(ConfigFixtures.YamlErrors(yaml));

        Assert.Equal("services[a].nodes[n1].address", error.Entry);
        Assert.StartsWith("expected a string, found the number 8080", error.Message);
    }

    [Fact]
    public void Parse_DuplicateKey_StillValidatesTheValueKept()
    {
        // Only values the shape check dropped silence validation; a duplicate key drops nothing that is kept.
        var json = "{\n  \"version\": -1,\n  \"version\": 2\n}";

        var errors = ConfigFixtures.JsonErrors(json);

        Assert.Equal(
            ["version: duplicate key 'version' (first given at line 2); the second is ignored (line 3, column 3)",
             "version: must be 0 or greater, got -1 (line 2, column 3)"],
            errors.Select(e => $"{e.Entry}: {e.Message}"));
    }

    [Fact]
    public void Parse_UnknownRateLimitStoreAndFallback_NameTheFieldsAndTheChoices()
    {
        var yaml = "global:\n  rateLimit:\n    limit: 10\n    store: memcached\n    fallback: panic\n";

        var errors = ConfigFixtures.YamlErrors(yaml);

        Assert.Equal(
            ["global.rateLimit.store: expected one of local, redis, found the text \"memcached\" (line 4, column 5)",
             "global.rateLimit.fallback: expected one of local, failOpen, failClosed, found the text \"panic\" (line 5, column 5)"],
            errors.Select(e => $"{e.Entry}: {e.Message}"));
    }

    [Fact]
    public void Parse_RedisStoreWithFallback_Loads()
    {
        var config = ConfigLoader.Parse("global:\n  rateLimit: { limit: 10, store: redis, fallback: failClosed }\n", "t.yaml", ConfigFormat.Yaml);

        Assert.Equal(RateLimitStore.Redis, config.Global!.RateLimit!.Store);
        Assert.Equal(RateLimitFallback.FailClosed, config.Global.RateLimit.Fallback);
    }

    [Fact]
    public void Parse_ValidationErrorForMissingKey_GetsTheLineOfItsParent()
    {
        var yaml = "services:\n  - name: a\n    nodes:\n      - id: n1\n        loc: dc1\n";

        var error = Assert.Single(ConfigFixtures.YamlErrors(yaml));

        Assert.Equal(new ConfigError("test.yaml", "services[a].nodes[n1].address",
            "address is required, e.g. http://10.0.0.5:8080 (line 4, column 9)"), error);
    }

    [Theory]
    [InlineData("gatehouse.yaml", ConfigFormat.Yaml)]
    [InlineData("gatehouse.YML", ConfigFormat.Yaml)]
    [InlineData("conf.d/gatehouse.json", ConfigFormat.Json)]
    public void TryGetFormat_KnownExtension_ReturnsFormat(string path, ConfigFormat expected)
    {
        Assert.True(ConfigLoader.TryGetFormat(path, out var format));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("gatehouse.txt")]
    [InlineData("gatehouse")]
    [InlineData("gatehouse.yaml.bak")]
    public void TryGetFormat_OtherExtension_ReturnsFalse(string path)
    {
        Assert.False(ConfigLoader.TryGetFormat(path, out _));
    }

    [Theory]
    [InlineData("gatehouse.yaml", ConfigFixtures.ValidYaml)]
    [InlineData("gatehouse.json", ConfigFixtures.ValidJson)]
    public void LoadFile_ByExtension_ParsesInThatFormat(string name, string content)
    {
        var path = Write(name, content);

        ModelAssert.DeepEqual(ConfigFixtures.Valid(), ConfigLoader.LoadFile(path));
    }

    [Fact]
    public void LoadFile_Utf8WithByteOrderMark_Loads()
    {
        var path = Path.Combine(_dir, "bom.json");
        File.WriteAllText(path, ConfigFixtures.ValidJson, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal(3, ConfigLoader.LoadFile(path).Version);
    }

    [Fact]
    public void LoadFile_UnknownExtension_IsRejectedBeforeReading()
    {
        var path = Path.Combine(_dir, "missing.txt");

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path)).Errors);

        Assert.Equal(new ConfigError(path, "(document)", "unsupported file type '.txt'; use .yaml, .yml or .json"), error);
    }

    [Fact]
    public void LoadFile_InvalidContent_ErrorsNameTheFileAsGiven()
    {
        var path = Write("bad.yaml", "version: -1\n");

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path)).Errors);

        Assert.Equal(path, error.Source);
    }

    [Fact]
    public void LoadFile_MissingFile_RetriesThenReportsTheFile()
    {
        var path = Path.Combine(_dir, "missing.yaml");
        var failures = new List<int>();

        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path, attempts: 3, TimeSpan.Zero, failures.Add));

        Assert.Equal([1, 2], failures);
        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Source);
        Assert.StartsWith("cannot read the file: ", error.Message);
    }

    [Fact]
    public void LoadFile_FileLockedAtFirst_RetriesAndLoads()
    {
        var path = Write("locked.yaml", ConfigFixtures.ValidYaml);
        var exclusive = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var failures = new List<int>();

        // The writer lets go after the first failed attempt, as an editor finishing its save would.
        var config = ConfigLoader.LoadFile(path, attempts: 3, TimeSpan.Zero, attempt =>
        {
            failures.Add(attempt);
            exclusive.Dispose();
        });

        Assert.Equal([1], failures);
        Assert.Equal(3, config.Version);
    }

    [Fact]
    public void LoadFile_FileOpenForWritingElsewhere_IsReadWithoutWaiting()
    {
        var path = Write("open.yaml", ConfigFixtures.ValidYaml);
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);

        var config = ConfigLoader.LoadFile(path, attempts: 1, TimeSpan.Zero, _ => Assert.Fail("no retry expected"));

        Assert.Equal(3, config.Version);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
