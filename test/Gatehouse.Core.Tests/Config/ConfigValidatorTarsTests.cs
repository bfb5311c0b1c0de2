using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorTarsTests
{
    private static string Yaml(string api, string node = "tars://127.0.0.1:10015") => $$"""
        services:
          - name: hello
            nodes: [ { id: n1, address: "{{node}}" } ]
            apis: [ {{api}} ]
        """;

    private const string Declared = "id: add, path: /add, protocol: tars, tars: { servant: Test.HelloServer.HelloObj, function: add, "
        + "parameters: [ { name: a, type: int }, { name: u, type: User }, { name: r, type: 'vector<int>', out: true } ], returnType: 'map<string, User>', "
        + "structs: { User: [ { tag: 0, name: id, type: long, required: true }, { tag: 20, name: tags, type: 'vector<string>' } ] }, contextHeaders: [x-user-id] }";

    [Fact]
    public void Validate_TarsApiDeclaredInConfig_AcceptedAndParsed()
    {
        var config = ConfigLoader.Parse(Yaml("{ " + Declared + " }"), "test.yaml", ConfigFormat.Yaml);

        var api = config.Services[0].Apis[0];
        Assert.Equal(ApiProtocol.Tars, api.Protocol);
        Assert.Equal(TarsMode.Tup, api.Tars!.Mode);
        Assert.Equal("Test.HelloServer.HelloObj", api.Tars.Servant);
        Assert.True(api.Tars.Parameters![2].Out);
        Assert.Equal(20, api.Tars.Structs!["User"][1].Tag);
        var function = TarsApiSchema.Build(api.Tars);
        Assert.Equal("map<string, User>", function.ReturnType!.Name);
        Assert.Equal("id", function.ReturnType.Element!.Struct!.Fields[0].Name);
    }

    [Fact]
    public void Validate_TarsApiFromIdl_AcceptedAndParsed()
    {
        const string yaml = """
            services:
              - name: hello
                nodes: [ { id: n1, address: "tars://127.0.0.1:10015" } ]
                apis:
                  - id: get
                    path: /get
                    protocol: tars
                    tars:
                      servant: Test.HelloServer.HelloObj
                      function: get
                      interface: Hello
                      idl: |
                        #include "Base.tars"
                        module Test
                        {
                            enum Color { RED = 0, BLUE = 1 };
                            const int Max = 10;
                            struct Item { 0 require string name = "x"; 1 optional Color color; };
                            key[Item, name];
                            interface Hello
                            {
                                Item get(string name, out vector<Item> all); // a comment
                                void ping();
                            };
                        };
            """;
        var config = ConfigLoader.Parse(yaml, "test.yaml", ConfigFormat.Yaml);
        var function = TarsApiSchema.Build(config.Services[0].Apis[0].Tars!);
        Assert.Equal("Item", function.ReturnType!.Name);
        Assert.Equal(Gatehouse.Tars.Schema.TarsTypeKind.Int, function.ReturnType.Struct!.Fields[1].Type.Kind);
        Assert.True(function.Parameters[1].Out);
    }

    [Fact]
    public void Validate_JsonMode_NeedsNoTypes()
    {
        var config = ConfigLoader.Parse(Yaml("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, mode: json } }"), "test.yaml", ConfigFormat.Yaml);
        Assert.Equal(TarsMode.Json, config.Services[0].Apis[0].Tars!.Mode);
    }

    [Theory]
    [InlineData("{ id: a, path: /a, protocol: tars }", "services[hello].apis[a].tars", "is required with protocol: tars")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: 'A B', function: f } }", "services[hello].apis[a].tars.servant", "'A B' is not a servant name")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: 'f-g' } }", "services[hello].apis[a].tars.function", "'f-g' is not a function name")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, parameters: [ { name: x, type: 'vector<int' } ] } }", "services[hello].apis[a].tars.parameters", "parameter 'x': 'vector<int' is not a Tars type")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, returnType: Missing } }", "services[hello].apis[a].tars.parameters", "struct 'Missing' is not defined")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, parameters: [ { name: x, type: int }, { name: x, type: int } ] } }", "services[hello].apis[a].tars.parameters", "parameter name 'x' is blank or used twice")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, structs: { S: [ { tag: 1, name: a, type: int }, { tag: 1, name: b, type: int } ] } } }", "services[hello].apis[a].tars.parameters", "struct S: tag 1 is used twice")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, structs: { S: [ { tag: 256, name: a, type: int } ] } } }", "services[hello].apis[a].tars.parameters", "struct S: field 'a' has tag 256")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, parameters: [ { name: m, type: 'map<vector<int>, int>' } ] } }", "services[hello].apis[a].tars.parameters", "parameter 'm': map key type vector<int> is not supported")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, idl: 'module M { interface I { int g(); }; };' } }", "services[hello].apis[a].tars.idl", "no interface declares a function 'f'")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, idl: 'module M { struct S { 0 int x; }; };' } }", "services[hello].apis[a].tars.idl", "line 1: struct S: expected require or optional")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, idl: 'module M {}', returnType: int } }", "services[hello].apis[a].tars.idl", "give either idl or parameters")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, mode: json, returnType: int } }", "services[hello].apis[a].tars.mode", "JSON mode passes the body through")]
    [InlineData("{ id: a, path: /a, protocol: tars, tars: { servant: A.B.C, function: f, contextHeaders: [x-a, X-A] } }", "services[hello].apis[a].tars.contextHeaders[1]", "header 'X-A' is listed twice")]
    [InlineData("{ id: a, path: /a }", "services[hello].apis[a].protocol", "node 'tars://127.0.0.1:10015' of this service is a Tars server")]
    public void Validate_BadTarsApi_ErrorNamesField(string api, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(api)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_TarsBlockOnHttpApi_Error()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ id: a, path: /a, tars: { servant: A.B.C, function: f } }", "http://127.0.0.1:8080")));
        Assert.Equal("services[hello].apis[a].tars", error.Entry);
        Assert.StartsWith("applies only to APIs with protocol: tars", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "a Tars API needs tars:// nodes")]
    [InlineData("dubbo://127.0.0.1:20880", "a Tars API needs tars:// nodes")]
    public void Validate_TarsApiWithOtherNodes_ErrorOnProtocol(string node, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ " + Declared + " }", node)));
        Assert.Equal("services[hello].apis[add].protocol", error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("tars://127.0.0.1", "has port -1")]
    [InlineData("tars://127.0.0.1:10015/x", "must not have a path: a Tars server is host:port")]
    public void Validate_BadTarsAddress_Error(string node, string message)
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ " + Declared + " }", node));
        Assert.Contains(errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }
}
