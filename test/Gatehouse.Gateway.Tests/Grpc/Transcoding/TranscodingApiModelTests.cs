using Gatehouse.Core.Config;
using Gatehouse.Gateway.Grpc.Transcoding;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Tests.Grpc.Transcoding;

/// <summary>Compiling a <c>grpcTranscoding</c> block from the descriptor set protoc wrote for the test proto.</summary>
public sealed class TranscodingApiModelTests
{
    private static ApiConfig Api(GrpcTranscodingConfig config) => new()
    {
        Id = "books", Path = "/v1/**", Protocol = ApiProtocol.GrpcTranscoding, GrpcTranscoding = config,
    };

    private static GrpcTranscodingConfig ByFile => new() { DescriptorSet = TranscodeTestDescriptors.SetPath };

    private static (TranscodingApiModel? Model, List<ConfigError> Errors) Compile(GrpcTranscodingConfig config)
    {
        var errors = new List<ConfigError>();
        return (TranscodingApiModel.Compile(Api(config), "services[library].apis[books]", "test.yaml", errors), errors);
    }

    [Fact]
    public void Compile_Annotations_BecomeRoutes_ClientStreamingLeftOut()
    {
        var (model, errors) = Compile(ByFile);
        Assert.Empty(errors);
        var routes = model!.Routes.Select(r => r.ToString()).ToList();
        Assert.Contains("GET /v1/{name=shelves/*} → transcode.test.v1.Library.GetShelf", routes);
        Assert.Contains("POST /v1/echo → transcode.test.v1.Library.Echo", routes);
        Assert.Contains("GET /v1/echo/{int64_value}/{nested.label} → transcode.test.v1.Library.Echo", routes);
        Assert.Contains("DELETE /v1/books/{id} → transcode.test.v1.Library.DeleteBook", routes);
        Assert.DoesNotContain(routes, r => r.Contains("Upload", StringComparison.Ordinal));
        Assert.DoesNotContain(routes, r => r.Contains("Unbound", StringComparison.Ordinal));
        Assert.True(model.Routes.Single(r => r.Method.Name == "ListBooks").ServerStreaming);
    }

    [Fact]
    public void Compile_Base64_AndAnExplicitRule_ReplacingTheAnnotation()
    {
        var config = new GrpcTranscodingConfig
        {
            DescriptorSetBase64 = Convert.ToBase64String(TranscodeTestDescriptors.SetBytes),
            Rules = [new GrpcHttpRuleConfig { Selector = "transcode.test.v1.Library.GetShelf", Get = "/v1/shelf/{name}" }],
        };
        var (model, errors) = Compile(config);
        Assert.Empty(errors);
        var shelf = Assert.Single(model!.Routes, r => r.Method.Name == "GetShelf");
        Assert.Equal("/v1/shelf/{name}", shelf.Template.Text);
        Assert.NotNull(model.Match("GET", "/v1/shelf/top", out var values, out _));
        Assert.Equal(["top"], values);
    }

    [Fact]
    public void Match_WrongMethod_SaysThePathIsKnown()
    {
        var (model, _) = Compile(ByFile);
        Assert.Null(model!.Match("PUT", "/v1/echo", out _, out var known));
        Assert.True(known);
        Assert.Null(model.Match("GET", "/v1/none/such/path/here", out _, out known));
        Assert.False(known);
    }

    [Theory]
    [InlineData("transcode.test.v1.Library.Nope", "/v1/x", null, null, "grpcTranscoding.rules[0].selector", "the descriptor set has no method")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/{title.x}", null, null, "grpcTranscoding.rules[0]", "path variable 'title.x' is not a field path")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/{nope}", null, null, "grpcTranscoding.rules[0]", "path variable 'nope'")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/x", "nope", null, "grpcTranscoding.rules[0]", "body 'nope' is not a field")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/x", null, "nope", "grpcTranscoding.rules[0]", "responseBody 'nope' is not a field")]
    [InlineData("transcode.test.v1.Library.Upload", "/v1/x", null, null, "grpcTranscoding.rules[0]", "transcode.test.v1.Library.Upload is client or bidirectional streaming")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/**/x", null, null, "grpcTranscoding.rules[0]", "'**' must be the last segment")]
    [InlineData("transcode.test.v1.Library.Unbound", "/v1/echo", "*", null, "grpcTranscoding", "POST /v1/echo is bound to both")]
    public void Compile_BadRule_ErrorNamesTheField(string selector, string path, string? body, string? responseBody, string field, string message)
    {
        var config = ByFile with
        {
            Rules = [new GrpcHttpRuleConfig { Selector = selector, Post = path, Body = body, ResponseBody = responseBody }],
        };
        var (model, errors) = Compile(config);
        Assert.Null(model);
        var error = Assert.Single(errors);
        Assert.Equal($"services[library].apis[books].{field}", error.Entry);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Compile_UnknownService_MissingFile_SetWithoutImports_AreErrors()
    {
        var (_, errors) = Compile(ByFile with { Services = ["transcode.test.v1.Nope"] });
        Assert.Equal("services[library].apis[books].grpcTranscoding.services[0]", Assert.Single(errors).Entry);

        (_, errors) = Compile(new GrpcTranscodingConfig { DescriptorSet = "/nonexistent/api.pb" });
        Assert.Contains("cannot be read", Assert.Single(errors).Message);

        // protoc without --include_imports: the test proto alone, its imports missing.
        var set = FileDescriptorSet.Parser.ParseFrom(TranscodeTestDescriptors.SetBytes);
        var alone = new FileDescriptorSet { File = { set.File.Single(f => f.Name == "transcode_test.proto") } };
        (_, errors) = Compile(new GrpcTranscodingConfig { DescriptorSetBase64 = Convert.ToBase64String(alone.ToByteArray()) });
        Assert.Contains("--include_imports", Assert.Single(errors).Message);

        (_, errors) = Compile(new GrpcTranscodingConfig { DescriptorSetBase64 = Convert.ToBase64String("garbage!"u8.ToArray()) });
        Assert.Equal("services[library].apis[books].grpcTranscoding.descriptorSetBase64", Assert.Single(errors).Entry);
    }
}
