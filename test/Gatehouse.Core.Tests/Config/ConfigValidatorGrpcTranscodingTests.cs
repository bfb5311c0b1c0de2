using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorGrpcTranscodingTests
{
    private static string Yaml(string api, string node = "http://127.0.0.1:50051") => $$"""
        services:
          - name: library
            nodes: [ { id: n1, address: "{{node}}", protocol: http2 } ]
            apis: [ {{api}} ]
        """;

    private const string Good = "id: books, path: /v1/**, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: library.pb, "
        + "services: [example.library.v1.Library], rules: [ { selector: example.library.v1.Library.GetBook, get: '/v1/{name=shelves/*/books/*}', responseBody: title } ] }";

    [Fact]
    public void Validate_TranscodedApi_AcceptedAndParsed()
    {
        var config = ConfigLoader.Parse(Yaml("{ " + Good + " }"), "test.yaml", ConfigFormat.Yaml);

        var api = config.Services[0].Apis[0];
        Assert.Equal(ApiProtocol.GrpcTranscoding, api.Protocol);
        Assert.Equal("library.pb", api.GrpcTranscoding!.DescriptorSet);
        var rule = Assert.Single(api.GrpcTranscoding.Rules!);
        Assert.Equal("example.library.v1.Library.GetBook", rule.Selector);
        Assert.Equal("/v1/{name=shelves/*/books/*}", rule.Get);
        Assert.Equal("title", rule.ResponseBody);
    }

    [Theory]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding }", "services[library].apis[a].grpcTranscoding", "is required with protocol: grpcTranscoding")]
    [InlineData("{ id: a, path: /a, grpcTranscoding: { descriptorSet: x.pb } }", "services[library].apis[a].grpcTranscoding", "applies only to APIs with protocol: grpcTranscoding")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { } }", "services[library].apis[a].grpcTranscoding", "needs exactly one of descriptorSet")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, descriptorSetBase64: 'CgA=' } }", "services[library].apis[a].grpcTranscoding", "needs exactly one of descriptorSet")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSetBase64: 'not base64!' } }", "services[library].apis[a].grpcTranscoding.descriptorSetBase64", "is not base64")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: ' ' } }", "services[library].apis[a].grpcTranscoding.descriptorSet", "must name a file")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, services: ['a b'] } }", "services[library].apis[a].grpcTranscoding.services[0]", "'a b' is not a fully qualified gRPC service name")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: M, get: /x } ] } }", "services[library].apis[a].grpcTranscoding.rules[0].selector", "'M' is not a method selector")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: p.S.M } ] } }", "services[library].apis[a].grpcTranscoding.rules[0]", "needs exactly one of get, put, post, delete and patch")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: p.S.M, get: /x, post: /y } ] } }", "services[library].apis[a].grpcTranscoding.rules[0]", "needs exactly one of get")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: p.S.M, get: 'v1/{x' } ] } }", "services[library].apis[a].grpcTranscoding.rules[0].get", "'v1/{x' is not a path template")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: p.S.M, post: /x, body: 'a-b' } ] } }", "services[library].apis[a].grpcTranscoding.rules[0].body", "'a-b' is neither '*' nor a field name")]
    [InlineData("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rules: [ { selector: p.S.M, post: /x, responseBody: '*' } ] } }", "services[library].apis[a].grpcTranscoding.rules[0].responseBody", "'*' is not a field name")]
    public void Validate_BadTranscodedApi_ErrorNamesField(string api, string entry, string message)
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml(api)));

        Assert.Equal(entry, error.Entry);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Validate_TranscodedApiWithDubboNode_ErrorOnProtocol()
    {
        var error = Assert.Single(ConfigFixtures.YamlErrors(Yaml("{ " + Good + " }", "dubbo://127.0.0.1:20880")));
        Assert.Equal("services[library].apis[books].protocol", error.Entry);
    }

    [Fact]
    public void Validate_MisspelledKey_IsReported()
    {
        var errors = ConfigFixtures.YamlErrors(Yaml("{ id: a, path: /a, protocol: grpcTranscoding, grpcTranscoding: { descriptorSet: x.pb, rule: [] } }"));
        Assert.Contains(errors, e => e.Message.StartsWith("unknown key 'rule'", StringComparison.Ordinal));
    }
}
