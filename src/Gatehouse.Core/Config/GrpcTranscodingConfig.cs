namespace Gatehouse.Core.Config;

/// <summary>
/// HTTP/JSON → gRPC transcoding of an API with <c>protocol: grpcTranscoding</c> (<c>services[].apis[].grpcTranscoding</c>):
/// the descriptor set that describes the gRPC services, and the HTTP rules that map requests to their methods.
/// </summary>
/// <remarks>
/// The API's own <c>path</c>, <c>match</c> and <c>methods</c> decide which requests reach the transcoder (e.g.
/// <c>path: /v1/**</c>); the rules then pick the gRPC method: the <c>google.api.http</c> annotations of the descriptor
/// set's methods, and <see cref="Rules"/>, which are added to them (a rule for a method replaces its annotation).
/// </remarks>
public sealed record GrpcTranscodingConfig
{
    /// <summary>
    /// A file holding a <c>FileDescriptorSet</c> (<c>protoc --descriptor_set_out=FILE --include_imports</c>), read by the
    /// gateway when it compiles the config; relative paths resolve against its working directory. Exactly one of this and
    /// <see cref="DescriptorSetBase64"/>.
    /// </summary>
    public string? DescriptorSet { get; init; }

    /// <summary>The <c>FileDescriptorSet</c> bytes themselves, base64-encoded: how the admin stores and publishes them.</summary>
    public string? DescriptorSetBase64 { get; init; }

    /// <summary>
    /// Fully qualified gRPC services (<c>example.library.v1.Library</c>) whose annotated methods are exposed; null or empty:
    /// every service of the set. Explicit <see cref="Rules"/> may name methods of any service in the set.
    /// </summary>
    public IReadOnlyList<string>? Services { get; init; }

    /// <summary>Explicit HTTP rules, in the shape of <c>google.api.HttpRule</c> (as in a gRPC API configuration YAML file).</summary>
    public IReadOnlyList<GrpcHttpRuleConfig>? Rules { get; init; }
}

/// <summary>One explicit mapping: an HTTP method and path template to a gRPC method, with the body field.</summary>
public sealed record GrpcHttpRuleConfig
{
    /// <summary>The gRPC method, fully qualified with dots: <c>example.library.v1.Library.GetBook</c>.</summary>
    public string Selector { get; init; } = "";

    /// <summary>Path template of a GET, e.g. <c>/v1/{name=shelves/*/books/*}</c>; exactly one of the five verbs is given.</summary>
    public string? Get { get; init; }

    public string? Put { get; init; }

    public string? Post { get; init; }

    public string? Delete { get; init; }

    public string? Patch { get; init; }

    /// <summary><c>*</c>: the JSON body is the whole request message; a field name: the body is that field; null: no body.</summary>
    public string? Body { get; init; }

    /// <summary>A field of the response message sent as the response body instead of the whole message; null: the whole message.</summary>
    public string? ResponseBody { get; init; }
}
