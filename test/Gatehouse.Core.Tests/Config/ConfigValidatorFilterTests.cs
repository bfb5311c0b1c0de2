using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Plugins;

namespace Gatehouse.Core.Tests.Config;

/// <summary><c>policy.filters</c>: plugin names are checked against the catalog and settings by the plugin's own factory.</summary>
public class ConfigValidatorFilterTests
{
    [Fact]
    public void Parse_UnknownPluginName_NamesEntrySuggestsAndListsKnown()
    {
        var errors = ConfigFixtures.YamlErrors("""
            global:
              filters: [ { name: corz } ]
            services:
              - name: orders
                nodes: [ { address: "http://127.0.0.1:9" } ]
                apis:
                  - id: get
                    path: /x
                    policy:
                      filters:
                        - { name: mock }
                        - { name: rate-limiter }
            """);

        Assert.Collection(errors,
            e =>
            {
                Assert.Equal("global.filters[0].name", e.Entry);
                Assert.Contains("unknown plugin 'corz' (did you mean 'cors'?); known plugins: aggregate, basic-auth, cache, cors, headers, key-auth, mock, rewrite", e.Message, StringComparison.Ordinal);
            },
            e =>
            {
                Assert.Equal("services[orders].apis[get].policy.filters[1].name", e.Entry);
                Assert.Contains("unknown plugin 'rate-limiter'; known plugins: aggregate, basic-auth, cache, cors, headers, key-auth, mock, rewrite", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("did you mean", e.Message, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void Parse_BadSettings_FactoryErrorsUnderSettingsEntry()
    {
        var errors = ConfigFixtures.YamlErrors("""
            services:
              - name: orders
                nodes: [ { address: "http://127.0.0.1:9" } ]
                policy:
                  filters:
                    - name: cors
                      settings: { origins: [ "https://app.example.com", "app.example.com/x" ], credentials: "yes", maxAge: 5 }
                apis:
                  - id: get
                    path: /x
                    policy:
                      filters:
                        - name: headers
                          settings:
                            request: { set: { "X-User": "${header.X-Id}", "Bad Name": "v", "X-Ip": "${clientAddr}" } }
                        - name: mock
                          settings: { status: 99, json: { ok: true }, body: "text" }
                        - { name: cors, settings: [ 1 ] }
            """);

        string Message(string entry) => Assert.Single(errors, e => e.Entry == entry).Message;
        Assert.Contains("'app.example.com/x' is not an origin", Message("services[orders].policy.filters[0].settings.origins[1]"), StringComparison.Ordinal);
        Assert.Contains("expected true or false", Message("services[orders].policy.filters[0].settings.credentials"), StringComparison.Ordinal);
        Assert.Contains("unknown key 'maxAge'", Message("services[orders].policy.filters[0].settings.maxAge"), StringComparison.Ordinal);
        Assert.Contains("'Bad Name' is not a valid header name",
            Message("services[orders].apis[get].policy.filters[0].settings.request.set[Bad Name]"), StringComparison.Ordinal);
        Assert.Contains("unknown variable '${clientAddr}'",
            Message("services[orders].apis[get].policy.filters[0].settings.request.set[X-Ip]"), StringComparison.Ordinal);
        Assert.Contains("from 200 to 599", Message("services[orders].apis[get].policy.filters[1].settings.status"), StringComparison.Ordinal);
        Assert.Contains("either body or json", Message("services[orders].apis[get].policy.filters[1].settings.json"), StringComparison.Ordinal);
        Assert.Contains("expected a mapping", Message("services[orders].apis[get].policy.filters[2].settings"), StringComparison.Ordinal);
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public void Parse_ErrorsCarryTheLineOfTheEntry()
    {
        var errors = ConfigFixtures.YamlErrors("""
            global:
              filters:
                - name: cors
                  settings:
                    origins: [ "*" ]
                    credentials: true
            """);

        var error = Assert.Single(errors);
        Assert.Equal("global.filters[0].settings.credentials", error.Entry);
        Assert.Contains("credentials cannot be allowed for any origin", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidFilters_YamlAndJsonCarryTheSameSettings()
    {
        var yaml = ConfigLoader.Parse("""
            global:
              filters:
                - name: cors
                  settings: { origins: [ "https://app.example.com" ], credentials: true, maxAgeSeconds: 600 }
            services:
              - name: orders
                nodes: [ { address: "http://127.0.0.1:9" } ]
                apis:
                  - id: get
                    path: /x
                    policy:
                      filters:
                        - name: headers
                          settings: { response: { set: { X-Version: 2 }, remove: [ Server ] } }
                        - name: mock
            """, "t.yaml", ConfigFormat.Yaml);
        var json = ConfigLoader.Parse(ConfigSerializer.Serialize(yaml), "t.json", ConfigFormat.Json);

        Assert.Equal(ConfigSerializer.Serialize(yaml), ConfigSerializer.Serialize(json));
        Assert.Equal(ConfigChecksum.Compute(yaml), ConfigChecksum.Compute(json));
        var filters = yaml.Services[0].Apis[0].Policy!.Filters!;
        Assert.Equal(["headers", "mock"], filters.Select(f => f.Name));
        Assert.Equal(JsonValueKind.Number, filters[0].Settings!.Value.GetProperty("response").GetProperty("set").GetProperty("X-Version").ValueKind);
        Assert.Null(filters[1].Settings);
        Assert.Equal(600, yaml.Global!.Filters![0].Settings!.Value.GetProperty("maxAgeSeconds").GetInt32());
    }

    [Fact]
    public void Equality_SameSettingsParsedTwice_Equal_DifferentSettings_NotEqual()
    {
        FilterConfig Parse(string settings) => new() { Name = "cors", Settings = JsonDocument.Parse(settings).RootElement };

        Assert.Equal(Parse("""{"origins":["*"],"maxAgeSeconds":5}"""), Parse("""{ "maxAgeSeconds": 5, "origins": [ "*" ] }"""));
        Assert.NotEqual(Parse("""{"origins":["*"]}"""), Parse("""{"origins":["https://a.example"]}"""));
        Assert.NotEqual(Parse("""{"origins":["*"]}"""), new FilterConfig { Name = "cors" });
    }

    [Fact]
    public void Validate_CustomCatalog_KnowsItsPlugins_ThrowingValidatorReported()
    {
        var catalog = PluginCatalog.BuiltIn.With([new StubFactory("audit", fails: false), new StubFactory("broken", fails: true)]);
        var config = ConfigFixtures.Valid() with
        {
            Global = new PolicyConfig
            {
                Filters = [new FilterConfig { Name = "audit" }, new FilterConfig { Name = "broken" }, new FilterConfig { Name = "cors", Settings = Json("""{"origins":["*"]}""") }],
            },
        };

        var withCatalog = ConfigValidator.Validate(config, null, catalog);
        var builtInOnly = ConfigValidator.Validate(config, null);

        var thrown = Assert.Single(withCatalog);
        Assert.Equal("global.filters[1].settings", thrown.Entry);
        Assert.Contains("plugin 'broken' failed to check its settings: boom", thrown.Message, StringComparison.Ordinal);
        Assert.Contains(builtInOnly, e => e.Entry == "global.filters[0].name" && e.Message.Contains("unknown plugin 'audit'", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_FactoryFieldsJoinedInEntrySyntax()
    {
        var catalog = PluginCatalog.Create([new StubFactory("fields", fails: false,
            new PluginSettingError("", "whole"), new PluginSettingError("a.b", "nested"), new PluginSettingError("[k]", "keyed"))]);
        var config = ConfigFixtures.Valid() with { Global = new PolicyConfig { Filters = [new FilterConfig { Name = "fields" }] } };

        var errors = ConfigValidator.Validate(config, null, catalog);

        Assert.Equal(["global.filters[0].settings", "global.filters[0].settings.a.b", "global.filters[0].settings[k]"], errors.Select(e => e.Entry));
    }

    [Fact]
    public void Catalog_DuplicateOrInvalidNames_Rejected()
    {
        Assert.Throws<ArgumentException>(() => PluginCatalog.BuiltIn.With([new StubFactory("CORS", fails: false)]));
        Assert.Throws<ArgumentException>(() => PluginCatalog.Create([new StubFactory("has space", fails: false)]));
        Assert.Equal(["aggregate", "basic-auth", "cache", "cors", "headers", "key-auth", "mock", "rewrite"], PluginCatalog.BuiltIn.Names);
    }

    [Fact]
    public void Parse_BuiltInMechanismNamedInFilters_PointsAtItsPolicyMember()
    {
        var errors = ConfigFixtures.YamlErrors("""
            global:
              filters: [ { name: rate-limit, settings: { limit: 5 } } ]
            services:
              - name: orders
                nodes: [ { address: "http://127.0.0.1:9" } ]
                apis:
                  - id: get
                    path: /x
                    policy:
                      filters: [ { name: mock }, { name: jwt } ]
            """);

        Assert.Collection(errors,
            e =>
            {
                Assert.Equal("global.filters[0].name", e.Entry);
                Assert.Contains("'rate-limit' is configured by policy.rateLimit, not by filters", e.Message, StringComparison.Ordinal);
            },
            e =>
            {
                Assert.Equal("services[orders].apis[get].policy.filters[1].name", e.Entry);
                Assert.Contains("'jwt' is configured by policy.auth.jwt, not by filters", e.Message, StringComparison.Ordinal);
            });
    }

    [Theory]
    [InlineData("ip-access")]
    [InlineData("payload-encryption")]
    public void Catalog_NameOfABuiltInMechanism_Reserved(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => PluginCatalog.BuiltIn.With([new StubFactory(name, fails: false)]));
        Assert.Contains("reserved", e.Message, StringComparison.Ordinal);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private sealed class StubFactory(string name, bool fails, params PluginSettingError[] errors) : IGatewayPluginFactory
    {
        public string Name => name;

        public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) => fails ? throw new InvalidOperationException("boom") : errors;

        public IGatewayPlugin Create(JsonElement settings) => throw new NotSupportedException();
    }
}
