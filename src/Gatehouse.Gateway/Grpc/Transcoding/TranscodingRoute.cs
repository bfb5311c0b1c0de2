using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>One HTTP binding of a gRPC method: HTTP method and path template, how the request message is filled, what is answered.</summary>
internal sealed class TranscodingRoute(string httpMethod, HttpPathTemplate template, MethodDescriptor method, FieldDescriptor[][] variables,
    string? body, FieldDescriptor? bodyField, FieldDescriptor? responseBodyField)
{
    /// <summary>Upper-case HTTP method (or a custom verb's name).</summary>
    public string HttpMethod { get; } = httpMethod;

    public HttpPathTemplate Template { get; } = template;

    public MethodDescriptor Method { get; } = method;

    /// <summary>The request path of the gRPC call, <c>/package.Service/Method</c>.</summary>
    public string GrpcPath { get; } = $"/{method.Service.FullName}/{method.Name}";

    /// <summary>Per template variable, the chain of fields it sets (<c>a.b.c</c>).</summary>
    public FieldDescriptor[][] Variables { get; } = variables;

    /// <summary><c>*</c>, a field name, or null (no body).</summary>
    public string? Body { get; } = body;

    /// <summary>The field the body fills when <see cref="Body"/> names one.</summary>
    public FieldDescriptor? BodyField { get; } = bodyField;

    /// <summary>The response field sent instead of the whole response message; null: the whole message.</summary>
    public FieldDescriptor? ResponseBodyField { get; } = responseBodyField;

    public bool ServerStreaming => Method.IsServerStreaming;

    public override string ToString() => $"{HttpMethod} {Template.Text} → {Method.FullName}";
}
