using System.Buffers;
using System.Text.Json;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// A gRPC error of the node as the HTTP client sees it: RFC 9457 problem JSON with the HTTP status of its code
/// (<see cref="GrpcHttpStatus"/>), code <c>grpc_error</c>, the gRPC code as <c>grpcStatus</c> (number) and
/// <c>grpcCode</c> (name), its message as <c>detail</c> and, when the node sent a <c>google.rpc.Status</c>, its
/// <c>details</c> as JSON. Not a gateway error: it is not counted in <c>gatehouse_gateway_errors_total</c>.
/// </summary>
internal static class TranscodingErrors
{
    public const string Code = "grpc_error";

    public static Task WriteAsync(HttpContext context, TranscodingApiModel api, GrpcCallStatus status)
    {
        var response = context.Response;
        var http = GrpcHttpStatus.ToHttp(status.Code);
        var requestId = RequestHeaderCopier.ResolveRequestId(context);
        response.Clear();
        response.Headers[HeaderRules.RequestId] = requestId;
        response.StatusCode = http;
        response.ContentType = "application/problem+json";
        response.Headers[HeaderNames.CacheControl] = "no-store";

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:gatehouse:problem:" + Code);
            json.WriteString("title", "The gRPC service answered with an error");
            json.WriteNumber("status", http);
            json.WriteString("code", Code);
            json.WriteNumber("grpcStatus", status.Code);
            json.WriteString("grpcCode", GrpcHttpStatus.Name(status.Code));
            if (status.Message.Length > 0)
            {
                json.WriteString("detail", status.Message);
            }

            WriteDetails(json, api, status);
            json.WriteString("instance", context.Request.Path.Value);
            json.WriteString("requestId", requestId);
            if (context.Features.Get<RequestTelemetry>() is { } telemetry)
            {
                json.WriteString("traceId", telemetry.TraceIdHex);
            }

            json.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary><c>"details"</c>: the <c>google.rpc.Status</c> details as JSON (each an Any with its <c>@type</c>), when there are any.</summary>
    internal static void WriteDetails(Utf8JsonWriter json, TranscodingApiModel api, GrpcCallStatus status)
    {
        if (status.Details is not { Length: > 0 } details)
        {
            return;
        }

        try
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                api.Codec.Decode(api.StatusType, details, writer);
            }

            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            if (document.RootElement.TryGetProperty("details", out var list))
            {
                json.WritePropertyName("details");
                list.WriteTo(json);
            }
        }
        catch (FormatException)
        {
            // Details that cannot be read are left out; the code and message still say what happened.
        }
    }
}
